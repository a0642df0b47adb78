"""One collection cycle: bytes in -> stored, scored items and pending deliveries out.

Per source, everything is written in one transaction: the items, their
scores, the outbox rows of the alerts they raise, the fetch log and the
source's next due time. A crash therefore leaves a source either fully
processed or not at all, and its lease expires so another run retries it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from store import queries
from store.db import session_scope
from store.models import FetchOutcome, Source, utcnow
from store.models import Item as StoredItem
from watcher import mentions, search
from watcher.cadence import next_check
from watcher.config import Config, SourceConfig, SourceKind
from watcher.fetch import Fetcher, FetchError, FetchResult
from watcher.normalize import Item, canonical_url, normalize
from watcher.parse.errors import ParseError
from watcher.parse.feed import RawEntry, parse_feed
from watcher.parse.page import article_links, extract_article, extract_text
from watcher.score import Judgement, Scorer
from watcher.stories import StoryIndex, signature, signature_bytes, signature_from_bytes, story_words

log = logging.getLogger(__name__)

STORY_WINDOW = timedelta(hours=72)
LEASE = timedelta(minutes=10)
FULL_TEXT_PER_CYCLE = 20
SOURCE_CONCURRENCY = 16


@dataclass
class SourceReport:
    source: str
    outcome: FetchOutcome
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    error: str | None = None
    warning: str | None = None
    alerts: int = 0


@dataclass
class CycleReport:
    sources: list[SourceReport] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(report.new for report in self.sources)

    @property
    def errors(self) -> list[SourceReport]:
        return [report for report in self.sources if report.outcome == FetchOutcome.ERROR]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def source_specs(config: Config) -> list[queries.SourceSpec]:
    return [
        queries.SourceSpec(s.name, s.kind, s.url, int(s.interval.total_seconds()), s.enabled) for s in config.sources
    ]


def load_story_index(engine: Engine, now: datetime) -> StoryIndex:
    index = StoryIndex()
    with session_scope(engine) as session:
        for item_id, story_id, title, summary, blob in queries.recent_story_members(session, now - STORY_WINDOW):
            words = story_words(title, summary)
            index.add(item_id, story_id, words, signature_from_bytes(blob) if blob else signature(words))
    return index


class Collector:
    """Runs cycles for one configuration against one database."""

    def __init__(self, engine: Engine, config: Config, *, owner: str | None = None):
        self.engine = engine
        self.config = config
        self.scorer = Scorer(config)
        self.owner = owner or worker_name()
        self._write_lock = asyncio.Lock()  # SQLite has one writer; batches queue here
        self._story_index: StoryIndex | None = None

    def sync_sources(self) -> None:
        with session_scope(self.engine) as session:
            queries.sync_sources(session, source_specs(self.config), utcnow())

    async def run_cycle(
        self,
        names: Sequence[str] | None = None,
        *,
        fetcher: Fetcher | None = None,
        on_done: Callable[[SourceReport], None] | None = None,
    ) -> CycleReport:
        """Collect the due sources (or the named ones, due or not)."""
        now = utcnow()
        with session_scope(self.engine) as session:
            claimed = queries.claim_due_sources(session, now, self.owner, LEASE, names)
        report = CycleReport()
        if not claimed:
            return report
        self._story_index = await asyncio.to_thread(load_story_index, self.engine, now)
        limit = asyncio.Semaphore(SOURCE_CONCURRENCY)

        async def one(source: Source, client: Fetcher) -> None:
            async with limit:
                result = await self._collect_source(source, client)
            report.sources.append(result)
            if on_done is not None:
                on_done(result)

        if fetcher is None:
            async with Fetcher() as client:
                await asyncio.gather(*(one(source, client) for source in claimed))
        else:
            await asyncio.gather(*(one(source, fetcher) for source in claimed))
        report.sources.sort(key=lambda r: r.source)
        return report

    async def _collect_source(self, source: Source, fetcher: Fetcher) -> SourceReport:
        started = utcnow()
        spec = self.config.source(source.name)
        try:
            result = await fetcher.get(source.url, etag=source.etag, last_modified=source.last_modified)
            if result.not_modified:
                return await self._finish(source, spec, started, FetchOutcome.NOT_MODIFIED, http_status=304)
            body_hash = hashlib.sha256(result.body).hexdigest()
            validators = (result.headers.get("etag"), result.headers.get("last-modified"), body_hash)
            if body_hash == source.body_hash:
                return await self._finish(
                    source, spec, started, FetchOutcome.NOT_MODIFIED, http_status=result.status, validators=validators
                )
            entries, warning = await self._entries(spec, result, fetcher)
            items = [item for entry in entries if (item := normalize(entry, spec.name, utcnow())) is not None]
            if spec.full_text:
                items = await self._with_full_text(items, fetcher)
            async with self._write_lock:
                report = await asyncio.to_thread(self._store, source, spec, items, started, result.status, validators)
            report.warning = warning
            return report
        except (FetchError, ParseError) as exc:
            status = exc.status if isinstance(exc, FetchError) else None
            return await self._finish(source, spec, started, FetchOutcome.ERROR, http_status=status, error=str(exc))
        except Exception as exc:  # one source's bug must not stop the cycle
            log.exception("source %s", source.name)
            message = f"erreur inattendue ({exc.__class__.__name__} : {exc})"
            return await self._finish(source, spec, started, FetchOutcome.ERROR, error=message)

    async def _entries(
        self, spec: SourceConfig, result: FetchResult, fetcher: Fetcher
    ) -> tuple[list[RawEntry], str | None]:
        if spec.kind == SourceKind.RSS:
            parsed = await asyncio.to_thread(parse_feed, result.body, result.url, result.content_type)
            return parsed.entries, parsed.warning
        links = await asyncio.to_thread(article_links, result.body, result.url)
        with session_scope(self.engine) as session:
            known = queries.known_urls(session, [canonical_url(link) for link in links])
        entries = []
        for link in [link for link in links if canonical_url(link) not in known][:FULL_TEXT_PER_CYCLE]:
            try:
                page = await fetcher.get(link)
            except FetchError as exc:
                log.warning("article ignoré : %s", exc)
                continue
            entry = await asyncio.to_thread(extract_article, page.body, page.url)
            if entry is not None:
                entries.append(entry)
        if links and not entries and not known:
            raise ParseError(f"aucun article lisible trouvé sur la page {result.url}")
        return entries, None

    async def _with_full_text(self, items: list[Item], fetcher: Fetcher) -> list[Item]:
        with session_scope(self.engine) as session:
            known = queries.known_urls(session, [item.url for item in items])
        enriched = []
        budget = FULL_TEXT_PER_CYCLE
        for item in items:
            if item.url not in known and budget > 0:
                budget -= 1
                try:
                    page = await fetcher.get(item.url)
                    text = await asyncio.to_thread(extract_text, page.body, page.url)
                    if text:
                        item = item.with_content(text)
                except FetchError as exc:
                    log.warning("texte intégral indisponible : %s", exc)
            enriched.append(item)
        return enriched

    async def _finish(
        self,
        source: Source,
        spec: SourceConfig,
        started: datetime,
        outcome: FetchOutcome,
        *,
        http_status: int | None = None,
        error: str | None = None,
        validators: tuple[str | None, str | None, str | None] | None = None,
    ) -> SourceReport:
        errors = source.consecutive_errors + 1 if outcome == FetchOutcome.ERROR else 0

        def write() -> None:
            with session_scope(self.engine) as session:
                queries.record_fetch(
                    session,
                    source,
                    started_at=started,
                    outcome=outcome,
                    next_check_at=next_check(utcnow(), spec.interval, errors),
                    http_status=http_status,
                    error=error,
                    validators=validators,
                )

        async with self._write_lock:
            await asyncio.to_thread(write)
        return SourceReport(source.name, outcome, error=error)

    # -- the transaction of one source ------------------------------------

    def _store(
        self,
        source: Source,
        spec: SourceConfig,
        items: list[Item],
        started: datetime,
        http_status: int,
        validators: tuple[str | None, str | None, str | None],
    ) -> SourceReport:
        report = SourceReport(source.name, FetchOutcome.OK)
        try:
            with session_scope(self.engine) as session:
                for item in items:
                    self._store_item(session, source, spec, item, report)
                queries.record_fetch(
                    session,
                    source,
                    started_at=started,
                    outcome=FetchOutcome.OK,
                    next_check_at=next_check(utcnow(), spec.interval),
                    http_status=http_status,
                    counts=(report.new, report.updated, report.unchanged),
                    validators=validators,
                )
        except BaseException:
            # The rolled-back items may already sit in the in-memory index.
            self._story_index = load_story_index(self.engine, utcnow())
            raise
        return report

    def _store_item(
        self, session: Session, source: Source, spec: SourceConfig, item: Item, report: SourceReport
    ) -> None:
        existing = queries.find_existing_item(session, source.id or 0, item.guid, item.url, item.title_date_key)
        if existing is not None:
            if existing.source_id != source.id or existing.content_hash == item.content_hash:
                report.unchanged += 1
                return
            existing.title, existing.summary = item.title, item.summary
            existing.content = item.content or existing.content
            existing.author = item.author or existing.author
            existing.content_hash = item.content_hash
            existing.updated_at = item.collected_at
            report.updated += 1
            self._judge(session, existing, item, spec, report)
            return

        words = story_words(item.title, item.summary)
        minhash = signature(words)
        row = queries.insert_item(session, _stored(item, source.id or 0, signature_bytes(minhash)))
        if row is None:
            report.unchanged += 1
            return
        assert self._story_index is not None
        story_id = self._story_index.find_story(words, minhash)
        if story_id is None:
            story_id = queries.new_story(session, item.title, item.collected_at).id
        queries.attach_to_story(session, row, int(story_id), item.collected_at)
        self._story_index.add(row.id, story_id, words, minhash)
        report.new += 1
        self._judge(session, row, item, spec, report)

    def _judge(self, session: Session, row: StoredItem, item: Item, spec: SourceConfig, report: SourceReport) -> None:
        judgement = self.scorer.judge(item, spec)
        queries.save_score(
            session,
            row.id or 0,
            score=judgement.score,
            decision=judgement.decision,
            topics=judgement.topics,
            why=judgement.why,
            mentions=judgement.mentions,
            member_mentions=judgement.member_mentions,
        )
        search.index_items(session, [row])
        if judgement.mentions:
            mentions.register_item(session, row, item.outlet, self.config)
        if judgement.decision == "alert" and row.story_id is not None:
            for channel in self.alert_channels(judgement):
                if queries.enqueue_delivery(session, story_id=row.story_id, item_id=row.id or 0, channel=channel):
                    report.alerts += 1

    def alert_channels(self, judgement: Judgement) -> list[str]:
        alerts = self.config.alerts
        channels = {alerts.channel_for(topic) for topic in judgement.topics}
        if judgement.mentions:
            channels.add(alerts.channel_for("mention"))
        return sorted(channels or {alerts.channel_for("default")})


def _stored(item: Item, source_id: int, minhash: bytes) -> StoredItem:
    return StoredItem(
        source_id=source_id,
        guid=item.guid,
        url=item.url,
        title=item.title,
        summary=item.summary,
        content=item.content,
        author=item.author,
        publisher=item.publisher,
        published_at=item.published,
        published_estimated=item.published_estimated,
        language=item.language,
        collected_at=item.collected_at,
        title_date_key=item.title_date_key,
        content_hash=item.content_hash,
        minhash=minhash,
    )
