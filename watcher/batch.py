"""The items of one source, inside its one transaction: deduplicated, grouped into stories, judged, stored.

A batch is planned in memory, then written in a few statements: the stored items it
may repeat are read in one query, the new items and stories get their ids reserved up
front, and items, stories, scores and search rows are each written in one go. Ten ORM
round trips per item had a cold cycle wait on SQLite rather than on the network.

Alerts and thread replies keep the order of the feed: an item that joins a story
planned earlier in the batch gets its thread reply under that story's alert.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, time

from sqlmodel import Session

from store import coverage, merges, outbox, queries
from store import parliament as parliament_store
from store import search as store_search
from store.models import Item as StoredItem
from store.models import Story
from watcher import mentions
from watcher.config import Config, SourceConfig
from watcher.normalize import Item
from watcher.parse.parliament import ParliamentFields
from watcher.prepare import PreparedFeed, story_text
from watcher.score import Judgement, Scorer
from watcher.stories import StoryDoc, StoryIndex, signature_bytes, story_docs
from watcher.tracked import TrackedBills

MAX_ATTEMPTS = 3


@dataclass
class StoredCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    alerts: int = 0


@dataclass
class _Judged:
    """An item stored or changed in this batch, waiting for its judgement."""

    item_id: int
    story_id: int | None
    item: Item
    content: str | None  # as stored: an earlier full text is kept when the feed no longer carries it
    fields: ParliamentFields | None
    new: bool = False
    joined: bool = False  # a new item in a story that existed before it: a thread reply, never a new alert
    judgement: Judgement | None = None  # made ahead by a worker, for an item judged on its own text alone


class BatchConflict(Exception):
    """Another worker stored some of the batch's items first: the batch is planned again, a few times."""

    def __init__(self) -> None:
        super().__init__(
            "des articles de ce flux étaient enregistrés au même moment par un autre processus ; "
            "nouvel essai au prochain passage"
        )

    def __reduce__(self) -> tuple[type[BatchConflict], tuple[()]]:
        return (BatchConflict, ())  # raised in the store worker, re-raised in the main process


@dataclass
class _Plan:
    items: list[dict[str, object]] = field(default_factory=list)
    stories: dict[int, dict[str, object]] = field(default_factory=dict)  # opened in this batch
    growth: dict[int, tuple[int, datetime]] = field(default_factory=dict)  # stories that existed before
    updates: list[dict[str, object]] = field(default_factory=list)  # changed items
    fields: list[tuple[int, ParliamentFields]] = field(default_factory=list)
    judged: list[_Judged] = field(default_factory=list)
    indexed: list[int] = field(default_factory=list)  # item ids added to the story index
    sightings: dict[int, datetime] = field(default_factory=dict)  # items stored under other sources, listed here
    # (absorbed story, story that takes its items, the item that linked them), in the order the index merged them
    merges: list[tuple[int, int, int]] = field(default_factory=list)
    counts: StoredCounts = field(default_factory=StoredCounts)

    def follow(self, absorbed: int, into: int) -> None:
        """The items planned so far in `absorbed` are judged in `into`: a follow-up threads under its alert."""
        self.judged = [replace(j, story_id=into) if j.story_id == absorbed else j for j in self.judged]


@dataclass
class SourceBatch:
    """Stores the items of one source; `store` is called once, inside the source's transaction."""

    session: Session
    config: Config
    scorer: Scorer
    tracked: TrackedBills
    stories: StoryIndex
    source_id: int
    spec: SourceConfig
    now: datetime  # when the batch is judged: its scores, alerts and register entries are stamped with it

    def store(self, feed: PreparedFeed, typed: dict[str, ParliamentFields]) -> StoredCounts:
        labelled = [(item, self._label(typed.get(item.url))) for item in feed.items]
        keys = [(item.guid, item.url, item.title_date_key) for item in feed.items]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            known = queries.known_items(self.session, self.source_id, keys)
            plan = self._plan(labelled, known, feed)
            try:
                with self.session.begin_nested():
                    self._write(plan)
            except BatchConflict:
                # Stories the index merged for this plan cannot be taken back item by item: the collector
                # rebuilds its index from the store instead, and the next pass stores the batch.
                if attempt == MAX_ATTEMPTS or plan.merges:
                    raise
                self.stories.discard(plan.indexed)
                continue
            break
        self._judge_all(plan)
        return plan.counts

    def _label(self, fields: ParliamentFields | None) -> ParliamentFields | None:
        return None if fields is None else self.tracked.label(fields, self.spec.name)

    # --- planning, in memory -------------------------------------------------

    def _plan(
        self, labelled: list[tuple[Item, ParliamentFields | None]], known: queries.KnownItems, feed: PreparedFeed
    ) -> _Plan:
        plan = _Plan()
        # An upper bound, taken before the loop so that ids are reserved in one query: an article the feed
        # lists twice is found among the known items the second time round.
        fresh = [
            n for n, (item, _) in enumerate(labelled) if known.find(item.guid, item.url, item.title_date_key) is None
        ]
        item_ids = iter(queries.reserve_ids(self.session, StoredItem, len(fresh)))
        story_ids = iter(queries.reserve_ids(self.session, Story, len(fresh)))
        docs = {n: doc for n in fresh if (doc := feed.docs[n]) is not None}
        # The story signatures of the new items are made in one pass: one per item cost more in numpy calls.
        missing = [n for n in fresh if n not in docs]
        docs.update(zip(missing, story_docs([story_text(labelled[n][0]) for n in missing]), strict=True))
        for n, (item, fields) in enumerate(labelled):
            existing = known.find(item.guid, item.url, item.title_date_key)
            # A parliamentary item is judged with its bill's context, which only the batch knows.
            ahead = feed.judgements[n] if fields is None else None
            if existing is None:
                self._plan_new(plan, item, docs[n], fields, known, next(item_ids), story_ids, ahead)
            else:
                self._plan_known(plan, item, fields, existing, ahead)
        return plan

    def _plan_known(
        self,
        plan: _Plan,
        item: Item,
        fields: ParliamentFields | None,
        existing: queries.KnownItem,
        ahead: Judgement | None,
    ) -> None:
        if fields is not None and existing.source_id == self.source_id:
            plan.fields.append((existing.id, fields))  # an outcome may have changed
        if existing.source_id != self.source_id:
            # Another source stored this article first (the same URL): this one saw it too, which coverage measures.
            plan.sightings.setdefault(existing.id, item.collected_at)
        if existing.source_id != self.source_id or existing.content_hash == item.content_hash:
            plan.counts.unchanged += 1
            return
        existing.content = item.content or existing.content
        existing.author = item.author or existing.author
        existing.content_hash = item.content_hash
        plan.updates.append(
            {
                "id": existing.id,
                "title": item.title,
                "summary": item.summary,
                "content": existing.content,
                "author": existing.author,
                "content_hash": item.content_hash,
                "updated_at": item.collected_at,
            }
        )
        plan.counts.updated += 1
        plan.judged.append(_Judged(existing.id, existing.story_id, item, existing.content, fields, judgement=ahead))

    def _plan_new(
        self,
        plan: _Plan,
        item: Item,
        doc: StoryDoc,
        fields: ParliamentFields | None,
        known: queries.KnownItems,
        item_id: int,
        story_ids: Iterator[int],
        ahead: Judgement | None,
    ) -> None:
        placement = self.stories.place(doc)
        found = placement.story
        if found is not None and placement.linked:
            found = self._gather(plan, found, placement.linked, item_id)
        if found is None:
            story_id = next(story_ids)
            plan.stories[story_id] = {
                "id": story_id,
                "title": item.title,
                "first_seen_at": item.collected_at,
                "last_seen_at": item.collected_at,
                "item_count": 1,
            }
        else:
            story_id = int(found)
            opened = plan.stories.get(story_id)
            if opened is not None:
                opened["item_count"] = int(opened["item_count"]) + 1  # type: ignore[call-overload]
            else:
                added, seen = plan.growth.get(story_id, (0, item.collected_at))
                plan.growth[story_id] = (added + 1, max(seen, item.collected_at))
        assert doc.minhash is not None
        plan.items.append(_row(item, item_id, self.source_id, story_id, signature_bytes(doc.minhash)))
        self.stories.add(item_id, story_id, doc)
        plan.indexed.append(item_id)
        known.add(
            queries.KnownItem(
                item_id, self.source_id, item.guid, item.url, item.title_date_key, item.content_hash,
                item.content, item.author, story_id,
            )
        )  # fmt: skip
        plan.counts.new += 1
        if fields is not None:
            plan.fields.append((item_id, fields))
        joined = found is not None
        plan.judged.append(_Judged(item_id, story_id, item, item.content, fields, True, joined, ahead))

    def _gather(self, plan: _Plan, story: Hashable, linked: frozenset[Hashable], item_id: int) -> Hashable:
        """Merge the stories the item links with the one it joins (`StoryIndex.gather`); the one already alerted
        keeps its id, so that what follows threads under that alert."""
        # Alerts are enqueued once the batch is planned: the stories it opened have none yet.
        alerted = outbox.alert_channels(self.session, [int(s) for s in (story, *linked) if s not in plan.stories])
        survivor, absorbed = self.stories.gather(story, linked, preferred=alerted.keys())
        for other in absorbed:
            plan.merges.append((int(other), int(survivor), item_id))
            plan.follow(int(other), int(survivor))
        return survivor

    # --- writing ---------------------------------------------------------------

    def _write(self, plan: _Plan) -> None:
        # Lock the stories this batch grows or merges, in one statement (id order): another worker's merge of one
        # of them, made since the index last read them, is followed by a new pass rather than written over.
        touched = [*plan.growth, *(story for merge in plan.merges for story in merge[:2])]
        if moved := merges.follow_merges(self.session, touched):
            for absorbed, into in moved.items():
                self.stories.merge(absorbed, into)
            raise BatchConflict
        queries.open_stories(self.session, list(plan.stories.values()))
        written = queries.insert_items(self.session, plan.items)
        if len(written) < len(plan.items):
            raise BatchConflict
        queries.grow_stories(self.session, [(story, added, seen) for story, (added, seen) in plan.growth.items()])
        for absorbed, into, item_id in plan.merges:
            merges.merge_stories(self.session, into, absorbed, item_id=item_id, now=self.now)
            outbox.rehome_follow_ups(self.session, absorbed=absorbed, into=into)
            outbox.enqueue_merge_notices(self.session, absorbed=absorbed, item_id=item_id, now=self.now)
        coverage.record_sightings(self.session, self.source_id, plan.sightings)
        for values in plan.updates:
            queries.update_item(self.session, **values)  # type: ignore[arg-type]
        for item_id, fields in plan.fields:
            self._save_fields(item_id, fields)

    def _save_fields(self, item_id: int, fields: ParliamentFields) -> None:
        dossier = self.tracked.dossier_for(fields, self.spec.name)
        values = fields.as_json()
        del values["date"]  # stored as a date, not its ISO text
        parliament_store.save_parliament_fields(
            self.session,
            item_id,
            **values,
            day=fields.date,
            bill_refs=fields.bill_refs,
            tracked=dossier.label if dossier else None,
        )

    # --- judging -----------------------------------------------------------------

    def _judge(self, judged: _Judged) -> Judgement:
        if judged.judgement is not None:
            return judged.judgement
        return self.tracked.judge(self.scorer, judged.item, self.spec, judged.fields, self.spec.name)

    def _judge_all(self, plan: _Plan) -> None:
        # A feed may list an article twice, the second time changed: its last state is the one judged, and
        # it is still the new item that joined a story.
        latest: dict[int, _Judged] = {}
        for judged in plan.judged:
            first = latest.get(judged.item_id)
            latest[judged.item_id] = judged if first is None else replace(judged, new=first.new, joined=first.joined)
        # The alerts of the stories items joined, read in one query rather than one per item; a story opened
        # in this batch has only the alerts enqueued below, which are added as they are.
        channels = outbox.alert_channels(self.session, plan.growth)
        judgements = self._within_budget([(judged, self._judge(judged)) for judged in latest.values()], channels)
        scored_at = self.now
        queries.save_scores(
            self.session,
            [
                {
                    "item_id": judged.item_id,
                    "score": judgement.score,
                    "decision": judgement.decision,
                    "topics": judgement.topics,
                    "why": judgement.why,
                    "mentions": judgement.mentions,
                    "member_mentions": judgement.member_mentions,
                    "scored_at": scored_at,
                    "summary": judgement.summary,
                }
                for judged, judgement in judgements
            ],
        )
        # Search rows are written after the cycle (`search.catch_up`), off the collection's path; a changed
        # item loses its stale row here so that it is indexed again.
        store_search.forget(self.session, [judged.item_id for judged in plan.judged if not judged.new])
        for judged, judgement in judgements:
            if judged.joined:
                # A story that already had its alert gains an outlet: a thread reply, never a new alert.
                outbox.enqueue_followups(
                    self.session,
                    story_id=judged.story_id or 0,
                    item_id=judged.item_id,
                    channels=channels.get(judged.story_id or 0, ()),
                    now=judged.item.collected_at,
                    interval=self.config.alerts.followup_interval,
                )
            if judgement.mentions:
                row = self.session.get(StoredItem, judged.item_id)
                if row is not None:
                    mentions.register_item(self.session, row, judged.item.outlet, self.config, self.now)
            if judgement.decision == "alert" and judged.story_id is not None:
                for channel in alert_channels(self.config, judgement):
                    if queries.enqueue_delivery(
                        self.session,
                        story_id=judged.story_id,
                        item_id=judged.item_id,
                        channel=channel,
                        now=self.now,
                    ):
                        plan.counts.alerts += 1
                        channels.setdefault(judged.story_id, []).append(channel)

    def _within_budget(
        self, judgements: list[tuple[_Judged, Judgement]], alerted: dict[int, list[str]]
    ) -> list[tuple[_Judged, Judgement]]:
        """Past `alerts.daily_budget` new alerts in a day (the digest's time zone), an item waits for the digest.

        The budget counts stories, not items: an outlet joining a story already alerted is a thread reply.
        A mention of the collective is never held back, though it counts.
        """
        if not any(judgement.decision == "alert" for _judged, judgement in judgements):
            return judgements
        budget = self.config.alerts.daily_budget
        zone = self.config.digest.zone
        day = self.now.astimezone(zone).date()
        used = outbox.alerted_stories_since(self.session, datetime.combine(day, time(0), zone))
        opened: set[int] = set()
        kept = []
        for judged, judgement in judgements:
            story = judged.story_id
            if judgement.decision == "alert" and story is not None and story not in alerted and story not in opened:
                if used >= budget and not judgement.mentions:
                    # The reader sees why it would have alerted, and why it did not.
                    held = f"{judgement.alert_reason}, au-delà du quota d'alertes du jour"
                    summary = judgement.summary.replace(f"alerte : {judgement.alert_reason}", held, 1)
                    judgement = replace(
                        judgement,
                        decision="digest",
                        alert_reason=None,
                        why=[*judgement.why, f"au-delà du quota d'alertes ({budget} par jour) → synthèse"],
                        summary=summary if summary != judgement.summary else f"{summary} · {held}",
                    )
                else:
                    used += 1
                    opened.add(story)
            kept.append((judged, judgement))
        return kept


def alert_channels(config: Config, judgement: Judgement) -> list[str]:
    alerts = config.alerts
    channels = {alerts.channel_for(topic) for topic in judgement.topics}
    if judgement.mentions:
        channels.add(alerts.channel_for("mention"))
    return sorted(channels or {alerts.channel_for("default")})


def _row(item: Item, item_id: int, source_id: int, story_id: int, minhash: bytes) -> dict[str, object]:
    return {
        "id": item_id,
        "source_id": source_id,
        "story_id": story_id,
        "guid": item.guid,
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "content": item.content,
        "author": item.author,
        "publisher": item.publisher,
        "publisher_site": item.publisher_site,
        "published_at": item.published,
        "published_estimated": item.published_estimated,
        "language": item.language,
        "collected_at": item.collected_at,
        "title_date_key": item.title_date_key,
        "content_hash": item.content_hash,
        "minhash": minhash,
    }
