"""Stories: one news event as the press tells it, across outlets, re-titles and follow-ups.

Two stages, precision first (a false merge hides a different event from the group):
1. near-duplicates: MinHash + LSH (datasketch) on content stems, every candidate
   verified by the exact Jaccard similarity;
2. same event within a time window (72 h): what two items share — TF-IDF cosine
   over the window, rare names and whether they are the subject of both titles,
   event words and their synonyms, hours apart (`watcher/story_evidence.py`) —
   weighed by a small learned scorer, evidence against evidence rather than one
   veto per rule: one rare name in both titles is worth much, yet the same hospital
   makes different news on consecutive days (« CHU de Nantes : les urgences fermées
   la nuit », then « CHU de Nantes : une infirmière agressée »).
Both stages veto different places in the kicker (« Laval : » vs « Vire : »),
different trades in the titles (two professions on one strike day), different
dates (two strike days), different numbered acts of parliament and different parts
of a series (« (3/6) », « (4/6) »), even in the same words.

The index holds only the items of the window (older ones are evicted as time
moves on, and `max_items` caps it), so memory is bounded; it is rebuilt from the
stored items of the window after a restart, which gives the same answers.

The window slides: an item may join a story through its latest member. A story
stops taking items `MAX_SPAN` after it began, so that links from one item to the
next never chain a month of coverage into one « event ».

An item joins the story of its best match, and merges the other open stories it reaches the bar with
(`StoryIndex.gather`): the announcement and the call for candidates told apart, then the article that tells
both. A story of several items is merged through two of them (`MERGE_LINKS`), never one a person split apart.
"""

from __future__ import annotations

import copy
import heapq
import math
import operator
import re
import sys
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from watcher.minhash import NUM_PERM, MinHash, fmix, lean_lsh, sha1_hash32
from watcher.story_evidence import (
    BILL_STAGE_GAP_HOURS,
    Evidence,
    Scorer,
    bill_stages,
    decimal,
    event_kinds,
    shipped_scorer,
    trades,
)
from watcher.text import WORD_CACHE_SIZE, content_stems, fold, sentence_openers, tokenize

# Stored signatures must be read back with the scheme that made them.
MINHASH_SCHEME = "affine32"
VERIFY_JACCARD = 0.5
MIN_WORDS = 4  # below this, a shared title is too thin to call two items one story

WINDOW = timedelta(hours=72)
# Over the 30,000 Le Monde items of 2022, the sliding window alone chained a presidential campaign into one story of
# 128 items over 36 days (and 72 stories of ten items or more): a follow-up then went into a month-old alert's thread.
# A week costs the development set no pair (bench/relevance.py) and caps those chains at seven days.
MAX_SPAN = timedelta(days=7)
MAX_ITEMS = 50_000  # about 15 KB each: a ceiling for a burst, far above a 72 h window of the veille
MAX_POSTING = 100  # a term carried by more items than this is too common to propose candidates
MAX_CANDIDATES = 40
IDF_MIN_DOCS = 1000
TITLE_REPEAT = 2  # title words weigh twice in the TF-IDF vector
ENTITY_REPEAT = 2
# An article's opening (`article_opening`): its first paragraphs, as bench/fulltext_stories.py measured them.
OPENING_PARAGRAPHS = 3
MIN_PARAGRAPH_CHARS = 40
OPENING_MAX_CHARS = 1_000
# The opening is read from the article's first characters only: a restart rebuilds the index from as many, read from
# the store (`queries.recent_story_members`), rather than holding every full text of the window at once.
OPENING_SOURCE_CHARS = 6_000
# An item merges a story of several items with the one it joins when it reaches the bar with two of them: through a
# single item, stories chained by a hub (a roundup of the day's news, a topic page titled « Guerre Israël - Hezbollah »)
# merged two events on a real day of 2025. The development set's merges all pass (bench/story_merges.py).
MERGE_LINKS = 2

_MONTHS = "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre".split()
_DATE_RE = re.compile(r"\b(1er|[0-3]?\d)\s+(" + "|".join(_MONTHS) + r")\b")
# A figure stands alone: the digits of a name such as « Covid-19 » or « COP27 » are not one.
_DIGIT_RE = re.compile(r"\d")
_NUMBER_RE = re.compile(r"(?<![\w-])(?:\d[\d  ]{1,}\d|\d{2,})(?![\w-])")
# « Laval : les urgences… » — the place or actor a French title opens with (some outlets drop the space: « Laval: »).
_KICKER_RE = re.compile(r"^\s*([^:«»\"]{2,40}?)\s*:\s")
# A part of a numbered series in a title: « L'origine de vos mèmes préférés (3/6) », « Podcast. … (7/11) ».
_SERIES_PART_RE = re.compile(r"\(\s*(\d{1,2})\s*/\s*\d{1,2}\s*\)")
# A numbered act of parliament in a title: « Question écrite n° 4550 », « Amendement n° II-1234 », « n° 0456S ».
_ACT_NUMBER_RE = re.compile(r"\bn\s?[°º]\s*([A-Za-z]{0,4}-?\d+[A-Za-z]?)", re.IGNORECASE)
# Words joined by hyphens, letters only (« Covid-19 » is no name). With two capitals or more, one name: « Seine-Saint-
# Denis » weighed as three rare names let an article on the département's child psychiatry join a story on its pools.
_HYPHENATED_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")


def story_words(title: str, summary: str) -> frozenset[str]:
    return frozenset(content_stems(f"{title} {summary}"))


# Drawing the permutations is most of a MinHash's cost; they depend only on the seed, so they are shared.
_EMPTY_SIGNATURE = MinHash(num_perm=NUM_PERM, scheme=MINHASH_SCHEME)
_PERMUTATIONS = _EMPTY_SIGNATURE.permutations
_SIGNATURES_PER_PASS = 64  # bounds a pass's array: its words × 128 permutations × 4 bytes


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _word_hash(word: str) -> int:
    # datasketch's own hash (SHA-1, 32 bits), kept per word: the press repeats its vocabulary.
    return sha1_hash32(word.encode())


def signature(words: frozenset[str]) -> MinHash:
    return signatures([words])[0]


def signatures(word_sets: Sequence[frozenset[str]]) -> list[MinHash]:
    """The MinHash of each set, with the values `MinHash.update_batch` gives, made for many sets at once.

    One `update_batch` per item spent more on numpy calls and temporary arrays than on arithmetic:
    the words of a feed's items are permuted in one pass, and each set takes the minimum of its rows.
    """
    made: list[MinHash] = []
    a, b = _PERMUTATIONS
    for first in range(0, len(word_sets), _SIGNATURES_PER_PASS):
        chunk = word_sets[first : first + _SIGNATURES_PER_PASS]
        hashes = np.array([_word_hash(word) for words in chunk for word in words], dtype=np.uint32)
        permuted = fmix(hashes, 32)[:, np.newaxis] * a
        permuted += b
        end = 0
        for words in chunk:
            minhash = copy.copy(_EMPTY_SIGNATURE)  # a constructor call validates its arguments: 4 times the cost
            if words:
                start, end = end, end + len(words)
                minhash.hashvalues = permuted[start:end].min(axis=0)
            else:
                minhash.hashvalues = _EMPTY_SIGNATURE.hashvalues.copy()
            made.append(minhash)
    return made


def signature_bytes(minhash: MinHash) -> bytes:
    return minhash.hashvalues.astype(np.uint32).tobytes()


def signature_from_bytes(blob: bytes) -> MinHash:
    hashvalues = np.frombuffer(blob, dtype=np.uint32)
    if len(hashvalues) != NUM_PERM:
        raise ValueError(f"signature of {len(hashvalues)} values where {NUM_PERM} are expected")
    # As in `signatures`: a constructor call validates its arguments, 4 times the cost; the length is what can be
    # wrong, and the values take the constructor's dtype, which the LSH band hashes depend on.
    minhash = copy.copy(_EMPTY_SIGNATURE)
    minhash.hashvalues = hashvalues.astype(_EMPTY_SIGNATURE.hashvalues.dtype)
    return minhash


def _analyse(text: str) -> tuple[list[str], set[str]]:
    """Content stems in order, and named entities: capitalised words that do not open a sentence, acronyms, and
    hyphenated names (« Royaume-Uni », one entity even when it opens the sentence)."""
    stems: list[str] = []
    found: set[str] = set()
    in_names: Counter[str] = Counter()  # parts of hyphenated names, not names of their own
    if "-" in text:
        for match in _HYPHENATED_RE.finditer(text):
            parts = match.group().split("-")
            if sum(part[0].isupper() for part in parts) >= 2:
                found.add("e:" + fold(match.group()))
                in_names.update(fold(part) for part in parts)
    for token, opens in zip(tokenize(text), sentence_openers(text), strict=True):
        if token.stop:
            continue
        stems.append(token.stem)
        if in_names and in_names[token.folded]:  # most texts have no hyphenated name: no Counter lookup per word
            in_names[token.folded] -= 1
            continue
        if len(token.surface) < 2 or not token.surface[0].isupper():
            continue
        if opens and not token.is_acronym:
            continue  # any word opens a sentence with a capital
        found.add("e:" + token.folded)
    return stems, found


def _dates(text: str) -> set[str]:
    if not _DIGIT_RE.search(text):
        return set()  # most titles: no need to fold them
    return {f"d:{day.replace('1er', '1')}-{month}" for day, month in _DATE_RE.findall(fold(text))}


_NONE: frozenset[str] = frozenset()


def _small_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values) or _NONE  # most items have no date and no kicker: one empty set serves them all


def _act_numbers(title: str) -> frozenset[str]:
    """The numbers of the acts a title names, digits only: the Sénat's « n° II-1234 » is the Assemblée's « n° 1234 »
    amendment once adopted, and « n° 0456S » is question 456."""
    if "°" not in title and "º" not in title:
        return _NONE
    return _small_set(re.sub(r"\D", "", number).lstrip("0") for number in _ACT_NUMBER_RE.findall(title))


def _kicker(title: str) -> frozenset[str]:
    match = _KICKER_RE.match(title)
    if not match:
        return _NONE
    words = [token for token in tokenize(match.group(1)) if not token.stop]
    if trades(token.folded for token in words):
        # « Pharmaciens : les officines baisseront le rideau le 28 novembre » names who acts, not where: against
        # « Santé : les pharmacies fermées le 28 novembre », that is no disagreement of places (the trades agree).
        return _NONE
    # Stems, so that « Grèves des trains » and « Grève à la SNCF » are seen to share a word.
    return _small_set(token.stem for token in words)


@dataclass(frozen=True)
class StoryDoc:
    """What the two stages compare, computed once per item.

    The index holds one per item of the window (4,000 and more for 300 sources), so it is kept small: the
    content stems are read from `terms` rather than held a second time, the title's stems are a tuple (a set
    of a few strings takes 216 bytes or more, a tuple 40 plus 8 a string), and the sets that most items leave
    empty are one shared empty set.
    """

    minhash: MinHash | None  # dropped once the item is indexed: the LSH keeps its bands
    # Stems (title repeated), then entities, dates and figures (« e: », « d: », « n: »), the article opening's too.
    terms: Counter[str]
    entities: frozenset[str]  # named entities, dates and numbers of the title and summary
    dates: frozenset[str]
    title_dates: frozenset[str]
    kicker: frozenset[str]  # stems of the title's kicker
    title_words: tuple[str, ...]  # stems of the title
    at: datetime
    title_names: frozenset[str] = _NONE  # the named entities of the title
    events: frozenset[str] = _NONE  # kinds of happening told (`story_evidence.event_kinds`), title and lead
    title_events: frozenset[str] = _NONE
    title_trades: frozenset[str] = _NONE  # the trades the title names (`story_evidence.trades`)
    title_stages: frozenset[str] = _NONE  # the stages of a bill the title names (`story_evidence.bill_stages`)
    title_acts: frozenset[str] = _NONE  # the numbers of the acts of parliament the title names (`_act_numbers`)
    title_parts: frozenset[str] = _NONE  # the parts of a numbered series the title names (« (3/6) »: « 3 »)

    @property
    def words(self) -> frozenset[str]:
        """The content stems: `story_words` of the item. No stem has a colon, every entity has one."""
        return frozenset(term for term in self.terms if ":" not in term)

    def __reduce__(self) -> tuple[object, ...]:
        # Between processes, a MinHash would carry its permutations too: 2 KB a document, twice its other fields.
        state = {name.name: getattr(self, name.name) for name in fields(self)}
        state["minhash"] = None if self.minhash is None else signature_bytes(self.minhash)
        return (_unpickled_doc, (state,))


def _unpickled_doc(state: dict[str, Any]) -> StoryDoc:
    # Unpickled words are new strings in every document; interned, the index holds each word once, as it does
    # when the documents are made in its own process (through the word cache).
    for name, value in state.items():
        if isinstance(value, Counter):
            state[name] = Counter({sys.intern(word): count for word, count in value.items()})
        elif isinstance(value, tuple):
            state[name] = tuple(map(sys.intern, value))
        elif isinstance(value, frozenset):
            state[name] = _small_set(map(sys.intern, value))
    blob = state["minhash"]
    return StoryDoc(**{**state, "minhash": None if blob is None else signature_from_bytes(blob)})


def story_doc(
    title: str, summary: str, at: datetime, minhash: MinHash | None = None, body: str | None = None
) -> StoryDoc:
    doc = _unsigned_doc(title, summary, at, body)
    return replace(doc, minhash=minhash or signature(doc.words))


def story_docs(texts: Sequence[tuple[str, str, datetime, str | None]]) -> list[StoryDoc]:
    """`story_doc` of several items (title, summary, time, article text or None), their signatures made together."""
    docs = [_unsigned_doc(title, summary, at, body) for title, summary, at, body in texts]
    made = signatures([doc.words for doc in docs])
    return [replace(doc, minhash=minhash) for doc, minhash in zip(docs, made, strict=True)]


def article_opening(body: str | None, summary: str) -> str:
    """The first paragraphs of an article's text (a `full_text` source's page, a feed's <content>) that its summary
    does not already hold: shorter lines are captions, bylines and buttons."""
    if not body:
        return ""
    lines = body[:OPENING_SOURCE_CHARS].splitlines()
    paragraphs = [line.strip() for line in lines if len(line.strip()) >= MIN_PARAGRAPH_CHARS]
    opening = "\n".join([paragraph for paragraph in paragraphs if paragraph not in summary][:OPENING_PARAGRAPHS])
    if len(opening) <= OPENING_MAX_CHARS:
        return opening
    return opening[:OPENING_MAX_CHARS].rsplit(" ", 1)[0]  # a feed's <content> is one line: its first sentences


def _opening_entities(body: str | None, summary: str) -> set[str]:
    """The names, dates and figures an article's opening quotes: in the TF-IDF vector, beside those of its title and
    summary, they join an announcement and its reactions told in other words. Not its words (read as more summary,
    the generic words of three whole paragraphs raised an unrelated pair to 0.71, and still to 0.21 within 1,000
    characters, in `bench/fulltext_stories.py`, where its names alone leave every pair under 0.05), not the
    features that weigh the title's and summary's names (fitted without bodies, the sum of shared names weighs
    against a join), and not the date veto (an opening recalls other days)."""
    opening = article_opening(body, summary)
    if not opening:
        return set()
    return _analyse(opening)[1] | _dates(opening) | _figures(opening)


def _quoted_in_both_articles(doc: StoryDoc, other: StoryDoc, most: int = 6) -> list[str]:
    """The names, dates and figures two items share only through their articles' openings (`_opening_entities`),
    as folded: the evidence a reader cannot see in their titles and summaries."""
    in_vectors = {term for term in doc.terms.keys() & other.terms.keys() if ":" in term}
    return sorted(term.split(":", 1)[1] for term in in_vectors - (doc.entities & other.entities))[:most]


def _figures(text: str) -> set[str]:
    return {"n:" + re.sub(r"\D", "", number) for number in _NUMBER_RE.findall(text)}


def _unsigned_doc(title: str, summary: str, at: datetime, body: str | None = None) -> StoryDoc:
    title_stems, title_entities = _analyse(title)
    summary_stems, summary_entities = _analyse(summary)
    title_dates = _dates(title)
    dates = title_dates | _dates(summary)  # no date spans the two: « . » stands between them
    entities = title_entities | summary_entities | dates | _figures(f"{title}. {summary}")
    terms: Counter[str] = Counter(summary_stems)
    for stem_ in title_stems:
        terms[stem_] += TITLE_REPEAT
    for entity in entities | _opening_entities(body, summary):
        terms[entity] += ENTITY_REPEAT
    # No word spans a title and its lead either: the events of both are those of each, from the tokens `_analyse`
    # has just made (the third tokenisation, of the two together, was a tenth of the batch's time).
    title_folded = [token.folded for token in tokenize(title)]
    title_events = event_kinds(title_folded)
    return StoryDoc(
        None,
        terms,
        _small_set(entities),
        _small_set(dates),
        _small_set(title_dates),
        _kicker(title),
        tuple(set(title_stems)),
        at,
        _small_set(title_entities),
        _small_set(title_events | event_kinds(token.folded for token in tokenize(summary))),
        _small_set(title_events),
        _small_set(trades(title_folded)),
        _small_set(bill_stages(fold(title))),
        _small_set(_act_numbers(title)),
        _small_set(_SERIES_PART_RE.findall(title)) if "/" in title else _NONE,
    )


@dataclass(frozen=True)
class Placement:
    story: Hashable | None  # None: a new story
    why: str | None  # the evidence of the join, in French
    # Other open stories the item reaches the bar with: told apart until it came, one event (`StoryIndex.gather`).
    linked: frozenset[Hashable] = frozenset()


@dataclass
class _Member:
    story: Hashable
    doc: StoryDoc


class StoryIndex:
    """Recent items, searchable by near-duplicate text and by shared event; values are story ids."""

    def __init__(self, *, window: timedelta = WINDOW, max_items: int = MAX_ITEMS, max_span: timedelta = MAX_SPAN):
        self.window = window
        self.max_items = max_items
        self.max_span = max_span
        self._lsh = lean_lsh()
        self._members: dict[Hashable, _Member] = {}
        # Oldest first by the item's own time, not by arrival: a feed may list old items after new ones.
        # Entries of discarded items stay until they reach the top, where they are skipped.
        self._order: list[tuple[datetime, int, Hashable]] = []
        self._added = 0
        # Items by term, oldest first; a posting's length is the term's document frequency. Lists, not
        # dicts: most terms are in one or two items, and a dict apiece made up half of the index's memory.
        self._postings: dict[str, list[Hashable]] = {}
        self._latest: datetime | None = None
        # When each story of the indexed items began, and how many of its items are indexed (to forget it with them).
        self._opened: dict[Hashable, datetime] = {}
        self._indexed_per_story: Counter[Hashable] = Counter()
        # Stories a person told apart (a split: the item's new story and the one it left), never merged again.
        self._apart: set[frozenset[Hashable]] = set()

    def __len__(self) -> int:
        return len(self._members)

    def add(self, key: Hashable, story: Hashable, doc: StoryDoc, opened: datetime | None = None) -> None:
        """Index an item of `story`; `opened` is when the story began, if before this item (after a restart)."""
        if key in self._members or _too_thin(doc):
            return
        self._evict(doc.at)
        assert doc.minhash is not None, "a document is indexed once"
        self._lsh.insert(key, doc.minhash)
        self._members[key] = _Member(story, replace(doc, minhash=None))
        self._join(story, min(doc.at, opened or doc.at))
        self._added += 1
        heapq.heappush(self._order, (doc.at, self._added, key))
        for term in doc.terms:
            self._postings.setdefault(term, []).append(key)
        while len(self._members) > self.max_items:
            self._remove(heapq.heappop(self._order)[2])

    def move(self, key: Hashable, story: Hashable, former_began: datetime | None) -> None:
        """Put an indexed item into another story: a person split it out of its own (`store.splits.split_item`).

        The items that match it best then join its new story, never the one it was split from. `former_began`
        is when the story it left now begins (its first item may be the one that left), as a rebuilt index
        reads it from the store; an item out of the window is not indexed.
        """
        member = self._members.get(key)
        if member is None or member.story == story:
            return
        former = member.story
        self._leave(former)
        if former in self._opened and former_began is not None:
            self._opened[former] = former_began
        member.story = story
        self._join(story, member.doc.at)
        self.keep_apart(story, former)

    def keep_apart(self, story: Hashable, other: Hashable) -> None:
        """Never merge these two stories: a person split an item of one out into the other."""
        self._apart.add(frozenset((story, other)))

    def gather(
        self, story: Hashable, linked: Iterable[Hashable], preferred: Collection[Hashable] = ()
    ) -> tuple[Hashable, list[Hashable]]:
        """Merge the stories an item links (`Placement.linked`) with the one it joins, save those a person told apart.

        One item reaching the bar with items of two open stories says they tell one event, as single link over every
        pair does (bench/story_ceiling.py): merged, they gain recall at the same precision (bench/relevance.py).
        The survivor, which keeps its id, is one of the `preferred` stories if any (the service's alerted ones),
        else the one that began first; the others are absorbed into it. Returns the survivor and the absorbed stories.
        """
        group = [story]
        for other in sorted(linked, key=str):  # in an order of their own, whatever the set's
            if other not in group and not any(frozenset((other, kept)) in self._apart for kept in group):
                group.append(other)
        if len(group) == 1:
            return story, []
        survivor = min(group, key=lambda s: (s not in preferred, self._opened[s], str(s)))
        absorbed = [other for other in group if other != survivor]
        for other in absorbed:
            self.merge(other, survivor)
        return survivor, absorbed

    def merge(self, absorbed: Hashable, into: Hashable) -> None:
        """The indexed items of `absorbed` now belong to `into`, and whom a person told `absorbed` apart from, too
        (`gather`, or a merge another worker stored: `store.merges`)."""
        if absorbed == into:
            return
        # Merges are rare (a few per thousand items): one pass over the window's items costs less than keeping
        # every story's member list up to date on each add and eviction.
        for member in self._members.values():
            if member.story == absorbed:
                member.story = into
        count = self._indexed_per_story.pop(absorbed, 0)
        began = self._opened.pop(absorbed, None)
        if began is not None:  # it had items in the window
            self._join(into, began, count)
        for pair in [pair for pair in self._apart if absorbed in pair]:
            self._apart.discard(pair)
            (other,) = pair - {absorbed}
            if other != into:
                self._apart.add(frozenset((other, into)))

    def discard(self, keys: Iterable[Hashable]) -> None:
        """Forget items that were not stored after all (their transaction was rolled back)."""
        for key in keys:
            self._remove(key)

    def find_story(self, doc: StoryDoc) -> Hashable | None:
        """The story of the closest verified near-duplicate, else of the closest same-event item."""
        return self.place(doc).story

    def place(self, doc: StoryDoc) -> Placement:
        """`find_story`, with the evidence of the join in words."""
        if _too_thin(doc):
            return Placement(None, None)
        self._evict(doc.at)
        assert doc.minhash is not None, "the signature of a document to place"
        best: tuple[float, str, Hashable] | None = None
        words = doc.words
        matched: Counter[Hashable] = Counter()
        for key in self._lsh.query(doc.minhash):
            member = self._members[key]
            if self._closed(member.story, doc.at):
                continue
            similarity = _words_jaccard(words, member.doc)
            # Ties are broken on the key so that the result does not depend on set order.
            if similarity < VERIFY_JACCARD or _conflict(doc, member.doc):
                continue  # two strike days, or two towns, announced in the same words are still two events
            matched[member.story] += 1
            if best is None or (similarity, str(key)) > best[:2]:
                best = (similarity, str(key), member.story)
        if best is not None:
            why = f"récit : même texte qu'un article du récit (similarité {decimal(best[0])})"
            return Placement(best[2], why, self._linked(matched, best[2]))
        return self._same_event(doc)

    def _same_event(self, doc: StoryDoc) -> Placement:
        total = len(self._members) + 1
        shared_counts: Counter[Hashable] = Counter()
        for term in doc.terms:
            posting = self._postings.get(term)
            if posting and len(posting) <= MAX_POSTING:
                shared_counts.update(posting)  # counted in C, in the posting's order as a loop would
        if len(shared_counts) <= MAX_CANDIDATES:
            candidates = list(shared_counts)  # all of them: which ones, not their order, decides
        else:
            # The most shared, ties broken on the key's text: only the keys at the cut-off need it (a key function
            # over every candidate cost more than the comparisons that follow).
            cut = heapq.nlargest(MAX_CANDIDATES, shared_counts.values())[-1]
            candidates = [key for key, count in shared_counts.items() if count > cut]
            tied = sorted((key for key, count in shared_counts.items() if count == cut), key=str)
            candidates += tied[: MAX_CANDIDATES - len(candidates)]
        best: tuple[float, str, Hashable, Evidence, StoryDoc] | None = None
        matched: Counter[Hashable] = Counter()
        scorer = shipped_scorer()
        idf = _Idf(self._postings, total)  # the candidates share most of their words: each IDF is worked out once
        query: _Query | None = None  # the item's TF-IDF vectors, made once
        for key in candidates:
            member = self._members[key]
            other = member.doc
            if abs(other.at - doc.at) > self.window or self._closed(member.story, doc.at) or _conflict(doc, other):
                continue
            if query is None:
                query = _Query.of(doc, idf)
            beside_text = _beside_text(doc, other, idf, query)
            if _out_of_reach(scorer, query, other, beside_text):
                continue
            evidence = Evidence((_text_cosine(query, other, idf), *beside_text))
            probability = scorer.probability(evidence)
            if probability < scorer.bar:
                continue
            matched[member.story] += 1
            if best is None or (probability, str(key)) > best[:2]:
                best = (probability, str(key), member.story, evidence, other)
        if best is None:
            return Placement(None, None)
        why = f"récit : même événement (probabilité {decimal(best[0])} ; {best[3].in_words()})"
        if quoted := _quoted_in_both_articles(doc, best[4]):
            why += f" ; cités dans les deux articles : {', '.join(quoted)}"
        return Placement(best[2], why, self._linked(matched, best[2]))

    def _linked(self, matched: Counter[Hashable], joined: Hashable) -> frozenset[Hashable]:
        """The stories besides `joined` that the item links: through two of their items, or their only one."""
        return frozenset(
            story
            for story, links in matched.items()
            if story != joined and links >= min(MERGE_LINKS, self._indexed_per_story[story])
        )

    def evidence(self, doc: StoryDoc, other: StoryDoc) -> Evidence:
        """What `doc` shares with `other`, an item of the index (or one about to be), as the scorer reads it."""
        idf = _Idf(self._postings, len(self._members) + 1)
        query = _Query.of(doc, idf)
        return Evidence((_text_cosine(query, other, idf), *_beside_text(doc, other, idf, query)))

    def _closed(self, story: Hashable, at: datetime) -> bool:
        return at - self._opened[story] > self.max_span

    def _evict(self, at: datetime) -> None:
        """Forget the items that left the window: the index never grows with history."""
        # The newest time seen leads: an old item found late must not empty the index.
        self._latest = at if self._latest is None else max(self._latest, at)
        horizon = self._latest - self.window
        while self._order and self._order[0][0] < horizon:
            self._remove(heapq.heappop(self._order)[2])

    def _join(self, story: Hashable, began: datetime, count: int = 1) -> None:
        """`count` indexed items more in `story`, which began at `began` or earlier."""
        self._opened[story] = min(began, self._opened.get(story, began))
        self._indexed_per_story[story] += count

    def _leave(self, story: Hashable) -> None:
        """One indexed item fewer in `story`: with none left, the index forgets when it began."""
        self._indexed_per_story[story] -= 1
        if not self._indexed_per_story[story]:
            del self._indexed_per_story[story], self._opened[story]

    def _remove(self, key: Hashable) -> None:
        member = self._members.pop(key, None)
        if member is None:
            return
        self._leave(member.story)
        self._lsh.remove(key)
        for term in member.doc.terms:
            posting = self._postings.get(term)
            if posting is not None:
                posting.remove(key)  # the oldest are evicted first, and they are at the front
                if not posting:
                    del self._postings[term]


class _Idf(dict[str, float]):
    """The IDF of terms in the index as it stands, each worked out on first use: a placement weighs the words of up to
    `MAX_CANDIDATES` items, most of them shared, and the index does not change while it does."""

    def __init__(self, postings: dict[str, list[Hashable]], total: int):
        super().__init__()
        self._postings = postings
        # A quiet window (a few dozen items) must not make every word look common: the collection is
        # taken as at least IDF_MIN_DOCS items, so a word seen in one or two items stays rare.
        self._documents = max(total, IDF_MIN_DOCS) + 1

    def __missing__(self, term: str) -> float:
        value = math.log(self._documents / (len(self._postings.get(term, ())) + 1)) + 1.0
        self[term] = value
        return value


_Vector = tuple[dict[str, float], float]  # weights by term, and their norm


def _tfidf(terms: Counter[str], idf: _Idf) -> _Vector:
    return _with_norm({term: count * idf[term] for term, count in terms.items()})


def _title_vector(words: tuple[str, ...], idf: _Idf) -> _Vector:
    return _with_norm({word: idf[word] for word in words})  # a title's stems are distinct: each weighs its IDF


def _with_norm(weights: dict[str, float]) -> _Vector:
    values = list(weights.values())
    return weights, math.sqrt(sum(map(operator.mul, values, values)))  # the squares, added in order as a loop would


@dataclass(frozen=True, slots=True)
class _Query:
    """The vectors of the item being placed, compared with every candidate."""

    terms: _Vector
    title: _Vector

    @classmethod
    def of(cls, doc: StoryDoc, idf: _Idf) -> _Query:
        return cls(_tfidf(doc.terms, idf), _title_vector(doc.title_words, idf))


def _text_cosine(query: _Query, other: StoryDoc, idf: _Idf) -> float:
    return _cosine(query.terms, _tfidf(other.terms, idf))


def _beside_text(doc: StoryDoc, other: StoryDoc, idf: _Idf, query: _Query) -> tuple[float, ...]:
    """The features after the first (`_text_cosine`), in the order of `story_evidence.FEATURES`."""
    shared_names = doc.entities & other.entities
    names = [idf[name] for name in shared_names] or [0.0]
    in_titles = doc.title_names & other.title_names
    shared_title_words = set(doc.title_words).intersection(other.title_words)
    return (
        _cosine(query.title, _title_vector(other.title_words, idf)),
        sum(names),
        max(names),
        sum(idf[name] for name in in_titles),
        min(
            sum(idf[name] for name in doc.title_names - other.entities),
            sum(idf[name] for name in other.title_names - doc.entities),
        ),
        sum(idf[word] for word in shared_title_words),
        len(doc.events & other.events),
        float(_other_happenings(doc, other)),
        abs((doc.at - other.at).total_seconds()) / 3600,
    )


def _out_of_reach(scorer: Scorer, query: _Query, other: StoryDoc, beside_text: tuple[float, ...]) -> bool:
    """Whether the pair stays below the bar whatever the cosine of its texts: most candidates share a few words only,
    and the other's TF-IDF vector, most of a pair's cost, is then not made. The probability grows with each feature
    its weight favours, in floating point too: with the cosine at its ceiling (or at 0 under a negative weight), below
    the bar means below it for the true cosine."""
    best_cosine = _cosine_ceiling(query, other) if scorer.weights[0] > 0 else 0.0
    return scorer.probability(Evidence((best_cosine, *beside_text))) < scorer.bar


def _cosine_ceiling(query: _Query, other: StoryDoc) -> float:
    """No less than the TF-IDF cosine of the item's text with `other`'s, from the item's vector alone: the dot product
    runs over the terms they share, so it is at most the norm of the item's shared part times the other's norm
    (Cauchy-Schwarz). The margin stands above any rounding of the cosine itself."""
    weights, norm = query.terms
    if not norm:
        return 0.0
    shared = [weights[term] for term in weights.keys() & other.terms.keys()]
    return math.sqrt(sum(map(operator.mul, shared, shared))) / norm * (1 + 1e-9) + 1e-12


def _cosine(left: _Vector, right: _Vector) -> float:
    (a, a_norm), (b, b_norm) = left, right
    dot = sum(value * b[term] for term, value in a.items() if term in b)
    return dot / (a_norm * b_norm) if a_norm and b_norm else 0.0


def _other_happenings(left: StoryDoc, right: StoryDoc) -> bool:
    """Both titles tell a happening, and not the same one (« recourt au 49.3 », « définitivement adopté »)."""
    return bool(left.title_events and right.title_events and left.title_events.isdisjoint(right.title_events))


def _word_count(doc: StoryDoc) -> int:
    return len(doc.terms) - len(doc.entities)  # `terms` holds the stems and the entities, nothing else


def _too_thin(doc: StoryDoc) -> bool:
    return _word_count(doc) < MIN_WORDS


def _words_jaccard(words: frozenset[str], other: StoryDoc) -> float:
    """The Jaccard similarity of `words` and `other.words`, without making the other's set: the index holds none."""
    shared = sum(word in other.terms for word in words)  # a stem in `terms` is one of its words
    union = len(words) + _word_count(other) - shared
    return shared / union if union else 0.0


def _different_dates(left: StoryDoc, right: StoryDoc) -> bool:
    # The date a title announces is the event's; a follow-up may recall the previous day in its lead.
    if left.title_dates and right.title_dates:
        return left.title_dates.isdisjoint(right.title_dates)
    return bool(left.dates and right.dates and left.dates.isdisjoint(right.dates))


def _different_stages(left: StoryDoc, right: StoryDoc) -> bool:
    return bool(
        left.title_stages
        and right.title_stages
        and left.title_stages != right.title_stages
        and abs((left.at - right.at).total_seconds()) > BILL_STAGE_GAP_HOURS * 3600
    )


def _conflict(left: StoryDoc, right: StoryDoc) -> bool:
    """Two items that name different places in their kicker, different trades in their titles, different dates,
    different stages of a bill days apart, different numbered acts of parliament, or different parts of a numbered
    series, are different events."""
    # « Mayenne : à Laval, … » and « Laval : … » name the same town, so a kicker found in the other title agrees.
    different_places = (
        left.kicker
        and right.kicker
        and left.kicker.isdisjoint(right.kicker)
        and left.kicker.isdisjoint(right.title_words)
        and right.kicker.isdisjoint(left.title_words)
    )
    # « Grève du 5 mars chez les infirmiers libéraux » and « Grève du 5 mars : les pharmaciens ferment leurs
    # officines »: one day, two strikes. The learned scorer joined them (the set has few such pairs to learn from).
    different_trades = left.title_trades and right.title_trades and left.title_trades.isdisjoint(right.title_trades)
    # Two written questions on the AME by two members, a day apart, share most words and every name (0.99).
    different_acts = left.title_acts and right.title_acts and left.title_acts.isdisjoint(right.title_acts)
    # The episodes of a series share their title's first half and their lead's boilerplate, one a day: each is a piece
    # of its own (a podcast on living with a handicap, episode 3 then episode 4), never a follow-up of the one before.
    different_parts = left.title_parts and right.title_parts and left.title_parts.isdisjoint(right.title_parts)
    return (
        bool(different_places or different_trades or different_acts or different_parts)
        or _different_dates(left, right)
        or _different_stages(left, right)
    )


def assign_stories(
    docs: Iterable[tuple[Hashable, StoryDoc]], why: dict[Hashable, str] | None = None
) -> dict[Hashable, Hashable]:
    """Story of every (key, doc) taken in order: a new story is named after its first key. `why` receives the
    evidence of each join."""
    index = StoryIndex()
    stories: dict[Hashable, Hashable] = {}
    for key, doc in docs:
        placement = index.place(doc)
        story = key if placement.story is None else placement.story
        story, absorbed = index.gather(story, placement.linked)
        if why is not None and placement.why:
            why[key] = placement.why + merged_in_words(len(absorbed))
        for other in absorbed:  # one pass per merge: they are rare
            for member, its_story in stories.items():
                if its_story == other:
                    stories[member] = story
        stories[key] = story
        index.add(key, story, doc)
    return stories


def merged_in_words(count: int) -> str:
    """What a join says of the stories it merged, in French."""
    if not count:
        return ""
    others = "un autre récit, réuni" if count == 1 else f"{count} autres récits, réunis"
    return f" ; relie aussi {others} à celui-ci"
