"""One collection cycle: bytes in -> stored, scored items and pending deliveries out.

Per source, everything is written in one transaction: the items, their
scores, the outbox rows of the alerts they raise, the fetch log and the
source's next due time. A crash therefore leaves a source either fully
processed or not at all, and its lease expires so another run retries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from store import cycles, queries, sources
from store import merges as story_merges
from store import parliament as parliament_store
from store import splits as story_splits
from store.db import configure_models, session_scope
from store.models import Clock, FetchOutcome, Source, utcnow
from watcher import search
from watcher.batch import BatchConflict, SourceBatch
from watcher.cadence import freshness, next_check, retry_after
from watcher.config import Config, SourceConfig, SourceKind
from watcher.fetch import Fetcher, FetchError, FetchResult, RefusedAddress
from watcher.netguard import NetworkPolicy
from watcher.normalize import canonical_url, normalize
from watcher.parliament import parliament_entries
from watcher.parse.errors import ParseError
from watcher.parse.feed import RawEntry
from watcher.parse.parliament import ParliamentEntry, ParliamentFields
from watcher.prepare import FeedPreparer, PackedFeed, PreparedFeed, read_feed
from watcher.score import Scorer
from watcher.stories import MAX_SPAN, OPENING_SOURCE_CHARS, WINDOW, StoryIndex, signature_from_bytes, story_doc
from watcher.tracked import TrackedBills
from watcher.turns import Turns
from watcher.workers import ForkedWorker, WorkerLost

log = logging.getLogger(__name__)

# A lease is short and renewed while the cycle runs: a crashed worker's sources come back
# within LEASE, and a long cycle never loses them to another worker.
LEASE = timedelta(seconds=int(os.environ.get("WATCHER_LEASE_SECONDS", "120")))
FULL_TEXT_PER_CYCLE = 20
FINISH_BATCH = 16  # outcomes without items written together


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
    disabled: bool = False  # the site said the feed is gone (HTTP 410)


@dataclass
class CycleReport:
    sources: list[SourceReport] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(report.new for report in self.sources)

    @property
    def errors(self) -> list[SourceReport]:
        return [report for report in self.sources if report.outcome == FetchOutcome.ERROR]


def refused_warning(links: list[str], kept: str) -> str | None:
    """The French warning of a source whose links led into the internal network, for its health."""
    if not links:
        return None
    shown = ", ".join(links[:3]) + (f" (+{len(links) - 3})" if len(links) > 3 else "")
    count = f"{len(links)} lien{'s' if len(links) > 1 else ''}"
    return (
        f"{count} vers le réseau interne refusé{'s' if len(links) > 1 else ''}, {kept} : {shown} "
        f"(seules les sources de sources.yaml y ont accès)"
    )


def worker_name() -> str:
    # The random part tells a restarted container (same hostname, same pid 1) from its dead predecessor,
    # whose leases must expire rather than be renewed by the newcomer.
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def source_specs(config: Config) -> list[queries.SourceSpec]:
    return [
        queries.SourceSpec(s.name, s.kind, s.url, int(s.interval.total_seconds()), s.enabled) for s in config.sources
    ]


def load_story_index(engine: Engine, now: datetime) -> tuple[StoryIndex, int, int]:
    """The stories of the window's stored items, and the ids of the newest split and merge they already reflect."""
    index = StoryIndex()
    with session_scope(engine) as session:
        splits_seen = story_splits.latest_split_id(session)
        merges_seen = story_merges.latest_merge_id(session)
        for item_id, story_id, title, summary, content, blob, published, began in queries.recent_story_members(
            session, now - WINDOW, OPENING_SOURCE_CHARS
        ):
            minhash = signature_from_bytes(blob) if blob else None
            index.add(item_id, story_id, story_doc(title, summary, published, minhash, content), opened=began)
        # A split older than a story's span plus the window concerns stories that take no item any more.
        for story, other in story_splits.apart_since(session, now - MAX_SPAN - WINDOW):
            index.keep_apart(story, other)
    return index, splits_seen, merges_seen


def apply_merges(session: Session, index: StoryIndex, seen: int) -> int:
    """Merge in a live index the stories other workers merged since merge `seen`; the newest merge's id."""
    for merge_id, absorbed, into in story_merges.merges_after(session, seen):
        index.merge(absorbed, into)
        seen = merge_id
    return seen


def apply_splits(session: Session, index: StoryIndex, seen: int) -> int:
    """Move the items split since split `seen` in a live index, as a rebuilt one would read them; the newest id."""
    for split_id, item_id, story_id, former_began in story_splits.splits_after(session, seen):
        index.move(item_id, story_id, former_began)
        seen = split_id
    return seen


def _record_fetches(session: Session, outcomes: Sequence[dict[str, Any]]) -> None:
    """Write fetch outcomes that carry no items (`sources.record_fetch`), each ending its source's lease."""
    for record in outcomes:
        try:
            with session.begin_nested():
                sources.record_fetch(session, **record)
        except sources.LeaseLost:
            log.warning("source %s reprise par un autre processus, résultat abandonné", record["source_id"])


class Collector:
    """Runs cycles for one configuration against one database.

    With `workers`, feeds are prepared and batches stored by two worker processes (`watcher/workers.py`).
    They are forked here: a service makes its Collector before it starts any thread, and closes it.
    `clock` says what « now » is (when items are collected, sources due, leases held); the store worker
    forks with it, and the prepare worker is handed the moment each feed was fetched.
    """

    def __init__(
        self,
        engine: Engine,
        config: Config,
        *,
        owner: str | None = None,
        lease: timedelta = LEASE,
        workers: bool = False,
        clock: Clock = utcnow,
    ):
        self.engine = engine
        self.config = config
        self.clock = clock
        self.scorer = Scorer(config)
        self.tracked = TrackedBills(config)
        # The internal network is reached only at the configured sources' hosts and ports (watcher/netguard.py).
        self.network = NetworkPolicy.for_urls(source.url for source in config.sources)
        self.owner = owner or worker_name()
        self.lease = lease
        self._write_lock = asyncio.Lock()  # the main process's own writes queue here
        self._story_index: StoryIndex | None = None
        self._cycle = 0
        self._indexed_cycle = 0  # the cycle whose first batch loaded the story index
        self._splits_seen = 0  # the newest story split the index reflects
        self._merges_seen = 0  # and the newest story merge
        self._preparing: ForkedWorker | None = None
        self._storing: ForkedWorker | None = None
        if workers:
            engine.dispose()  # pooled connections must not be shared with the children: each opens its own
            configure_models()
            preparer = FeedPreparer(self.scorer)
            # The search index is filled by the worker that has just tokenised the same titles and leads: its word
            # cache holds them already, where another process would grow one of its own.
            self._preparing = ForkedWorker(
                "préparation des flux", {"prepare": preparer.packed, "index": partial(search.catch_up, engine)}
            )
            # The store worker's copy of this collector keeps its own story index, which only it uses.
            self._storing = ForkedWorker("enregistrement", {"store": self._store})

    def close(self) -> None:
        for worker in (self._preparing, self._storing):
            if worker is not None:
                worker.close()
        self._preparing = self._storing = None

    def sync_sources(self) -> None:
        with session_scope(self.engine) as session:
            sources.serialise_sync(session)
            queries.sync_sources(session, source_specs(self.config), self.clock())

    async def run_cycle(
        self,
        names: Sequence[str] | None = None,
        *,
        fetcher: Fetcher | None = None,
        on_done: Callable[[SourceReport], None] | None = None,
    ) -> CycleReport:
        """Collect the due sources (or the named ones, due or not)."""
        report = CycleReport()
        # A fresh lock per cycle: asyncio locks belong to one event loop, and a Collector may outlive it.
        self._write_lock = asyncio.Lock()
        self._turns = Turns()  # batches are stored in claim order (see watcher/turns.py)
        self._finished: list[dict[str, Any]] = []
        client = fetcher or Fetcher(policy=self.network)
        first = self._claim(names, client)
        if not first:
            return report
        self._cycle += 1
        cycle_id = self._cycle_started()
        stop = asyncio.Event()
        heartbeat = asyncio.create_task(self._keep_leases(stop))
        try:
            if fetcher is None:
                async with client:
                    await self._drain(first, names is None, client, report, on_done)
            else:
                await self._drain(first, names is None, client, report, on_done)
            await self._flush_finished()
        finally:
            stop.set()
            await heartbeat
        report.sources.sort(key=lambda r: r.source)
        self._cycle_finished(cycle_id, report)
        return report

    async def index_for_search(self) -> None:
        """Index what the cycles stored for `watcher search` (`search.catch_up`)."""
        worker = self._preparing
        if worker is not None:
            try:
                await worker.call("index")
                return
            except WorkerLost:
                self._preparing = None
        await asyncio.to_thread(search.catch_up, self.engine)

    def _claim(
        self,
        names: Sequence[str] | None,
        fetcher: Fetcher,
        busy: Counter[str] | None = None,
        finished: Sequence[dict[str, Any]] = (),
    ) -> list[Source]:
        """The named sources, all of them; or as many due ones as the fetcher has free slots, overall and per host.

        The `finished` outcomes waiting to be written (`_flush_finished`) are written first, in the same transaction:
        their leases end as the new ones begin, so that the worker never holds more leases than it has slots."""
        with session_scope(self.engine) as session:
            _record_fetches(session, finished)
            if names is not None:
                return sources.claim_due_sources(session, self.clock(), self.owner, self.lease, names)
            running = busy or Counter()
            return sources.claim_due_sources(
                session,
                self.clock(),
                self.owner,
                self.lease,
                limit=fetcher.max_connections - running.total(),
                per_host=fetcher.per_host,
                busy=running,
            )

    def _cycle_started(self) -> int:
        with session_scope(self.engine) as session:
            return cycles.cycle_started(session, self.owner, self.clock())

    def _cycle_finished(self, cycle_id: int, report: CycleReport) -> None:
        with session_scope(self.engine) as session:
            cycles.cycle_finished(
                session, cycle_id, self.clock(), sources=len(report.sources), new=report.new, errors=len(report.errors)
            )

    async def _drain(
        self,
        claimed: list[Source],
        refill: bool,
        fetcher: Fetcher,
        report: CycleReport,
        on_done: Callable[[SourceReport], None] | None,
    ) -> None:
        """Collect the claimed sources, claiming more as slots free up.

        A worker only leases what it is about to fetch: no more sources than the fetcher has
        connections, overall and per host, so that several workers share the due sources
        instead of the first one taking them all.
        """
        slots = fetcher.max_connections
        running: dict[asyncio.Task[SourceReport], str] = {}
        hosts: Counter[str] = Counter()
        waiting = list(claimed)  # named sources are all claimed at once; they start as slots free up
        while waiting or running:
            while waiting and len(running) < slots:
                source = waiting.pop(0)
                task = asyncio.create_task(self._collect_source(source, fetcher, self._turns.ticket()))
                running[task] = sources.host_key(source.url)
                hosts[sources.host_key(source.url)] += 1
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                hosts[running.pop(task)] -= 1
                result = task.result()
                report.sources.append(result)
                if on_done is not None:
                    on_done(result)
            free = slots - len(running)
            # Claim in batches (a quarter of the slots at least) to keep the database round trips few.
            if refill and free >= max(1, slots // 4):
                async with self._write_lock:
                    finished, self._finished = self._finished, []
                    waiting.extend(await asyncio.to_thread(self._claim, None, fetcher, +hosts, finished))

    async def _keep_leases(self, stop: asyncio.Event) -> None:
        """Renew this worker's leases every third of their length until the cycle ends."""

        def renew() -> None:
            with session_scope(self.engine) as session:
                sources.renew_leases(session, self.owner, self.clock() + self.lease)

        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.lease.total_seconds() / 3)
            if stop.is_set():
                return
            try:
                async with self._write_lock:
                    await asyncio.to_thread(renew)
            except Exception:  # a failed renewal only risks a retry elsewhere, never the cycle
                log.exception("renouvellement des baux")

    async def _collect_source(self, source: Source, fetcher: Fetcher, ticket: int) -> SourceReport:
        try:
            return await self._collect_leased(source, fetcher, ticket)
        except sources.LeaseLost:
            # Our lease expired and another worker owns the source now: its result wins, ours is dropped.
            log.warning("source %s reprise par un autre processus, résultat abandonné", source.name)
            return SourceReport(
                source.name, FetchOutcome.ERROR, error="bail expiré : source reprise par un autre processus"
            )
        finally:
            await self._turns.done(ticket)

    async def _collect_leased(self, source: Source, fetcher: Fetcher, ticket: int) -> SourceReport:
        started = self.clock()
        spec = self.config.source(source.name)
        try:
            # A list whose documents are fetched a batch per cycle must be read again even when unchanged.
            revalidate = not spec.kind.follows_documents
            result = await fetcher.get(
                source.url,
                etag=source.etag if revalidate else None,
                last_modified=source.last_modified if revalidate else None,
            )
            fetched = self.clock()
            if result.not_modified:
                hint = freshness(result.headers, fetched)
                return await self._finish(source, spec, started, FetchOutcome.NOT_MODIFIED, http_status=304, hint=hint)
            body_hash = hashlib.sha256(result.body).hexdigest()
            validators = (result.headers.get("etag"), result.headers.get("last-modified"), body_hash)
            if revalidate and body_hash == source.body_hash:
                return await self._finish(
                    source,
                    spec,
                    started,
                    FetchOutcome.NOT_MODIFIED,
                    http_status=result.status,
                    validators=validators,
                    hint=freshness(result.headers, fetched),
                )
            feed, typed = await self._read(spec, result, fetcher, source, fetched)
            hint = freshness(result.headers, fetched, feed.ttl_minutes)
            if spec.full_text:
                feed = await self._with_full_text(feed, fetcher)
            await self._turns.wait(ticket)
            report = await self._stored(
                self._cycle, source, spec, feed, started, result.status, validators, hint, typed
            )
            report.warning = feed.warning
            return report
        except (FetchError, ParseError) as exc:
            status = exc.status if isinstance(exc, FetchError) else None
            retry = retry_after(exc.retry_after, self.clock()) if isinstance(exc, FetchError) else None
            gone = "flux supprimé définitivement (HTTP 410)" if status == 410 else None
            return await self._finish(
                source,
                spec,
                started,
                FetchOutcome.ERROR,
                http_status=status,
                error=str(exc),
                retry=retry,
                disable_reason=gone,
            )
        except sources.LeaseLost:
            raise
        except BatchConflict as exc:  # other workers kept storing the same items: the next pass settles it
            return await self._finish(source, spec, started, FetchOutcome.ERROR, error=str(exc))
        except Exception as exc:  # one source's bug must not stop the cycle
            log.exception("source %s", source.name)
            message = f"erreur inattendue ({exc.__class__.__name__} : {exc})"
            return await self._finish(source, spec, started, FetchOutcome.ERROR, error=message)

    async def _read(
        self, spec: SourceConfig, result: FetchResult, fetcher: Fetcher, source: Source, fetched: datetime
    ) -> tuple[PreparedFeed | PackedFeed, dict[str, ParliamentFields]]:
        """The source's items, collected at `fetched`, and the typed fields of its parliamentary ones by URL."""
        if spec.kind == SourceKind.RSS:
            worker = self._preparing
            if worker is not None:
                try:
                    return await worker.call("prepare", result.body, result.url, result.content_type, spec, fetched), {}
                except WorkerLost:
                    self._preparing = None
            return (
                await asyncio.to_thread(read_feed, result.body, result.url, result.content_type, spec.name, fetched),
                {},
            )
        entries, warning = await self._entries(spec, result, fetcher, source)
        pairs = [(item, entry) for entry in entries if (item := normalize(entry, spec.name, fetched)) is not None]
        # Parliamentary entries carry typed fields; they follow their item by URL to the store.
        typed = {item.url: e.parliament for item, e in pairs if isinstance(e, ParliamentEntry)}
        return PreparedFeed([item for item, _ in pairs], warning), typed

    async def _entries(
        self, spec: SourceConfig, result: FetchResult, fetcher: Fetcher, source: Source
    ) -> tuple[list[RawEntry], str | None]:
        if spec.kind.is_parliamentary:

            async def known(guids: list[str]) -> dict[str, str | None]:
                return await asyncio.to_thread(self._stored_outcomes, source.id or 0, guids)

            entries, warning = await parliament_entries(spec, result, fetcher, known)
            return list(entries), warning
        # trafilatura is loaded by the first page source: most configurations have none, and every process of the
        # service would carry it.
        from watcher.parse.page import article_links, extract_article

        links = await asyncio.to_thread(article_links, result.body, result.url)
        with session_scope(self.engine) as session:
            known = queries.known_urls(session, [canonical_url(link) for link in links])
        entries = []
        refused: list[str] = []
        for link in [link for link in links if canonical_url(link) not in known][:FULL_TEXT_PER_CYCLE]:
            try:
                page = await fetcher.get(link)
            except RefusedAddress as exc:
                log.warning("%s", exc)
                refused.append(link)
                continue
            except FetchError as exc:
                log.warning("article ignoré : %s", exc)
                continue
            entry = await asyncio.to_thread(extract_article, page.body, page.url)
            if entry is not None:
                entries.append(entry)
        if links and not entries and not known and not refused:
            raise ParseError(f"aucun article lisible trouvé sur la page {result.url}")
        return entries, refused_warning(refused, "articles non lus")

    def _stored_outcomes(self, source_id: int, guids: list[str]) -> dict[str, str | None]:
        with session_scope(self.engine) as session:
            return parliament_store.stored_outcomes(session, source_id, guids)

    async def _with_full_text(self, packed: PreparedFeed | PackedFeed, fetcher: Fetcher) -> PreparedFeed:
        from watcher.parse.page import extract_text  # loaded by the first full-text source, as for page sources

        feed = packed.unpack() if isinstance(packed, PackedFeed) else packed
        with session_scope(self.engine) as session:
            known = queries.known_urls(session, [item.url for item in feed.items])
        budget = FULL_TEXT_PER_CYCLE
        refused: list[str] = []
        for n, item in enumerate(feed.items):
            if item.url not in known and budget > 0:
                budget -= 1
                try:
                    page = await fetcher.get(item.url)
                    text = await asyncio.to_thread(extract_text, page.body, page.url)
                    if text:
                        feed.items[n] = item.with_content(text)
                        # Made on the feed's summary alone: judged again, and its story document made again with the
                        # names and figures of the article's opening (`stories.article_opening`).
                        feed.judgements[n] = None
                        feed.docs[n] = None
                except RefusedAddress as exc:
                    log.warning("%s", exc)
                    refused.append(item.url)  # the item stays, with the feed's summary
                except FetchError as exc:
                    log.warning("texte intégral indisponible : %s", exc)
        parts = (feed.warning, refused_warning(refused, "articles gardés avec le résumé du flux"))
        feed.warning = " ; ".join(part for part in parts if part) or None
        return feed

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
        hint: timedelta | None = None,
        retry: timedelta | None = None,
        disable_reason: str | None = None,
    ) -> SourceReport:
        errors = source.consecutive_errors + 1 if outcome == FetchOutcome.ERROR else 0
        now = self.clock()
        self._finished.append(
            {
                "source_id": source.id or 0,
                "owner": self.owner,
                "started_at": started,
                "outcome": outcome,
                "now": now,
                "next_check_at": next_check(now, spec.interval, errors, hint=hint, retry=retry),
                "http_status": http_status,
                "error": error,
                "validators": validators,
                "disable_reason": disable_reason,
            }
        )
        if len(self._finished) >= FINISH_BATCH:
            await self._flush_finished()
        return SourceReport(source.name, outcome, error=error, disabled=disable_reason is not None)

    async def _flush_finished(self) -> None:
        """Write the pending outcomes that carry no items (unchanged, errors) in one transaction.

        One transaction per unchanged source made a warm cycle wait on the database, not the
        network. Delaying these writes is safe: until written, the lease stays, and a crash
        only means the source is fetched again once the lease expires. A claim of more sources
        writes them first (`_claim`).
        """
        batch, self._finished = self._finished, []
        if not batch:
            return

        def write() -> None:
            with session_scope(self.engine) as session:
                _record_fetches(session, batch)

        async with self._write_lock:
            await asyncio.to_thread(write)

    # -- the transaction of one source ------------------------------------

    async def _stored(self, *args: Any) -> SourceReport:
        """`_store` in the store worker, which queues the batches; else here, one batch at a time."""
        worker = self._storing
        if worker is not None:
            try:
                report = await worker.call("store", *args)
                assert isinstance(report, SourceReport)
                return report
            except WorkerLost:  # whether it wrote the batch or not, storing it again here keeps it once
                self._storing = None
        async with self._write_lock:
            return await asyncio.to_thread(self._store, *args)

    def _store(
        self,
        cycle: int,
        source: Source,
        spec: SourceConfig,
        packed: PreparedFeed | PackedFeed,
        started: datetime,
        http_status: int,
        validators: tuple[str | None, str | None, str | None],
        hint: timedelta | None,
        typed: dict[str, ParliamentFields],
    ) -> SourceReport:
        feed = packed.unpack() if isinstance(packed, PackedFeed) else packed
        if self._story_index is None or self._indexed_cycle != cycle:
            # Loaded on the first source with items, and again each cycle, to see what other workers stored;
            # a cycle where nothing changed never pays for it.
            self._story_index, self._splits_seen, self._merges_seen = load_story_index(self.engine, self.clock())
            self._indexed_cycle = cycle
        try:
            with session_scope(self.engine) as session:
                # Lock the source and check the lease first: a worker that lost it must not store anything.
                sources.held_source(session, source.id or 0, self.owner)
                # A merge another worker stored, or a split made since the index was built (on the desk, in Slack),
                # holds for this batch already.
                self._merges_seen = apply_merges(session, self._story_index, self._merges_seen)
                self._splits_seen = apply_splits(session, self._story_index, self._splits_seen)
                now = self.clock()
                batch = SourceBatch(
                    session, self.config, self.scorer, self.tracked, self._story_index, source.id or 0, spec, now
                )
                counts = batch.store(feed, typed)
                sources.record_fetch(
                    session,
                    source.id or 0,
                    self.owner,
                    started_at=started,
                    outcome=FetchOutcome.OK,
                    now=now,
                    next_check_at=next_check(now, spec.interval, hint=hint),
                    http_status=http_status,
                    counts=(counts.new, counts.updated, counts.unchanged),
                    validators=validators,
                    warning=feed.warning,
                )
        except BaseException:
            # The rolled-back items may already sit in the in-memory index: reload it before the next store.
            self._story_index = None
            raise
        return SourceReport(
            source.name,
            FetchOutcome.OK,
            new=counts.new,
            updated=counts.updated,
            unchanged=counts.unchanged,
            alerts=counts.alerts,
        )
