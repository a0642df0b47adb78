"""A feed's bytes -> its normalised items, and ahead of storage their story documents and judgements.

This is the part of a cycle that only computes: no database, no network. So it can run in a
worker process (`watcher/workers.py`) while the main process fetches and another stores.
What only the store can decide (which items are new, which story an item joins) stays with
the batch; what is made ahead is used when it fits, and made by the batch when it is missing.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from watcher.config import SourceConfig
from watcher.normalize import Item, normalize
from watcher.parse.feed import parse_feed
from watcher.score import Judgement, Scorer
from watcher.stories import StoryDoc, story_docs

# Articles remembered by a worker as made ahead: a cycle of a few hundred feeds.
REMEMBERED_ITEMS = 20_000


@dataclass
class PreparedFeed:
    items: list[Item]
    warning: str | None = None  # the feed was recovered from malformed XML
    ttl_minutes: int | None = None
    # Parallel to `items`; None where the batch makes its own.
    docs: list[StoryDoc | None] = field(default_factory=list)
    judgements: list[Judgement | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.docs = self.docs or [None] * len(self.items)
        self.judgements = self.judgements or [None] * len(self.items)


@dataclass(frozen=True)
class PackedFeed:
    """A prepared feed between workers: what the main process reads, and the rest as bytes it only passes on."""

    warning: str | None
    ttl_minutes: int | None
    payload: bytes

    def unpack(self) -> PreparedFeed:
        feed = pickle.loads(self.payload)
        assert isinstance(feed, PreparedFeed)
        return feed


def story_text(item: Item) -> tuple[str, str, datetime, str | None]:
    """What an item's story document is made of (`stories.story_docs`): its article text, for its opening's names."""
    return item.title, item.summary, item.published, item.content


def read_feed(body: bytes, url: str, content_type: str, source: str, collected_at: datetime) -> PreparedFeed:
    """The normalised items only: the batch then makes documents and judgements for the new ones alone."""
    parsed = parse_feed(body, url, content_type)
    items = [item for entry in parsed.entries if (item := normalize(entry, source, collected_at)) is not None]
    return PreparedFeed(items, parsed.warning, parsed.ttl_minutes)


class FeedPreparer:
    """Prepares every feed of a worker. It cannot know which items are new, so it makes documents and judgements
    ahead for all of them, but once per article: an article that an outlet lists in its front page and in its
    sections is stored once, and its other listings are « unchanged » for the batch, which needs nothing made."""

    def __init__(self, scorer: Scorer, remembered: int = REMEMBERED_ITEMS):
        self.scorer = scorer
        self.remembered = remembered
        # By the hash of (URL, content hash): a collision only means the batch makes that item's document itself.
        self._made: OrderedDict[int, None] = OrderedDict()

    def prepare(
        self, body: bytes, url: str, content_type: str, spec: SourceConfig, collected_at: datetime
    ) -> PreparedFeed:
        feed = read_feed(body, url, content_type, spec.name, collected_at)
        wanted = [n for n, item in enumerate(feed.items) if self._first_time(item)]
        made = story_docs([story_text(feed.items[n]) for n in wanted])
        for n, doc in zip(wanted, made, strict=True):
            feed.docs[n] = doc
            feed.judgements[n] = self.scorer.judge(feed.items[n], spec)
        return feed

    def packed(
        self, body: bytes, url: str, content_type: str, spec: SourceConfig, collected_at: datetime
    ) -> PackedFeed:
        feed = self.prepare(body, url, content_type, spec, collected_at)
        return PackedFeed(feed.warning, feed.ttl_minutes, pickle.dumps(feed, protocol=pickle.HIGHEST_PROTOCOL))

    def _first_time(self, item: Item) -> bool:
        key = hash((item.url, item.content_hash))
        if key in self._made:
            self._made.move_to_end(key)
            return False
        self._made[key] = None
        if len(self._made) > self.remembered:
            self._made.popitem(last=False)
        return True
