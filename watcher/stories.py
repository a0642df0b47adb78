"""Near-duplicate search: the same story told by several outlets.

MinHash + LSH (datasketch) finds candidates among recent items; each candidate
is verified by the exact Jaccard similarity of content words, because a false
merge would hide a different event from the group.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from watcher.text import content_stems

NUM_PERM = 128
# Stored signatures must be read back with the scheme that made them.
MINHASH_SCHEME = "affine32"
LSH_THRESHOLD = 0.4
VERIFY_JACCARD = 0.5
MIN_WORDS = 4  # below this, a shared title is too thin to call two items one story


def story_words(title: str, summary: str) -> frozenset[str]:
    return frozenset(content_stems(f"{title} {summary}"))


def signature(words: frozenset[str]) -> MinHash:
    minhash = MinHash(num_perm=NUM_PERM, scheme=MINHASH_SCHEME)
    minhash.update_batch([word.encode() for word in sorted(words)])
    return minhash


def signature_bytes(minhash: MinHash) -> bytes:
    return minhash.hashvalues.astype(np.uint32).tobytes()


def signature_from_bytes(blob: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, scheme=MINHASH_SCHEME, hashvalues=np.frombuffer(blob, dtype=np.uint32))


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


@dataclass
class _Member:
    story: Hashable
    words: frozenset[str]


class StoryIndex:
    """Recent items, searchable by near-duplicate text; keys are item keys, values story ids."""

    def __init__(self) -> None:
        self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self._members: dict[Hashable, _Member] = {}

    def __len__(self) -> int:
        return len(self._members)

    def add(self, key: Hashable, story: Hashable, words: frozenset[str], minhash: MinHash) -> None:
        if key in self._members or len(words) < MIN_WORDS:
            return
        self._lsh.insert(key, minhash)
        self._members[key] = _Member(story, words)

    def find_story(self, words: frozenset[str], minhash: MinHash) -> Hashable | None:
        """The story of the most similar verified near-duplicate, if any."""
        if len(words) < MIN_WORDS:
            return None
        best: tuple[float, str, Hashable] | None = None
        for key in self._lsh.query(minhash):
            member = self._members[key]
            similarity = jaccard(words, member.words)
            # Ties are broken on the key so that the result does not depend on set order.
            if similarity >= VERIFY_JACCARD and (best is None or (similarity, str(key)) > best[:2]):
                best = (similarity, str(key), member.story)
        return best[2] if best else None
