"""`watcher run`: APScheduler ticks that claim due work from the database.

APScheduler keeps only in-memory jobs (a tick and the digest cron); what is due
lives in the store (`source.next_check_at` and leases), so a restart or a
second process neither loses nor repeats work.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from datetime import date

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from store.models import Clock, utcnow
from watcher.config import Config
from watcher.desk import start_listener
from watcher.pipeline import Collector, CycleReport
from watcher.wording import counted

log = logging.getLogger(__name__)

TICK_SECONDS = float(os.environ.get("WATCHER_TICK_SECONDS", "30"))
DELIVER_SECONDS = 20
WATCH_SECONDS = 60


class Service:
    def __init__(
        self,
        engine: Engine,
        config: Config,
        write_digest: Callable[[date], str],  # returns one French line saying what it wrote and sent
        *,
        deliver: Callable[[], object] | None = None,
        watch: Callable[[], object] | None = None,
        workers: bool = False,
        clock: Clock = utcnow,
    ):
        self.engine = engine
        self.config = config
        self.clock = clock
        self.collector = Collector(engine, config, workers=workers, clock=clock)  # forks its workers: before any thread
        self.write_digest = write_digest
        self.deliver_pass = deliver
        self.watch_pass = watch  # tells the ops channel when the service stops working (watcher/ops.py)
        self.stopping = asyncio.Event()
        self._busy = asyncio.Lock()
        self._delivering = asyncio.Lock()

    async def tick(self) -> CycleReport | None:
        if self.stopping.is_set():
            return None
        async with self._busy:
            report = await self.collector.run_cycle()
            if report.new or any(source.updated for source in report.sources):
                try:
                    await self.collector.index_for_search()
                except Exception:  # the items are stored; the next search or cycle indexes them
                    log.exception("index de recherche")
        for source in report.sources:
            if source.error:
                log.warning("%s : %s", source.source, source.error)
        if report.sources:
            log.info(
                "cycle terminé : %s, %s",
                counted(len(report.sources), "source", "sources"),
                counted(report.new, "nouvel article", "nouveaux articles"),
            )
        if any(source.alerts for source in report.sources):
            await self.deliver()  # new alerts go out now, not at the next dispatcher tick
        return report

    async def digest(self) -> None:
        async with self._busy:
            today = self.clock().astimezone(self.config.digest.zone).date()
            summary = await asyncio.to_thread(self.write_digest, today)
            log.info("synthèse du %s : %s", f"{today:%d/%m/%Y}", summary)

    async def deliver(self) -> None:
        """One outbox pass; its own lock, so a long collection cycle does not delay alerts."""
        if self.deliver_pass is None or self.stopping.is_set():
            return
        async with self._delivering:
            try:
                await asyncio.to_thread(self.deliver_pass)
            except Exception:  # the next tick retries; the rows stay in the outbox
                log.exception("envoi des alertes")

    async def watch(self) -> None:
        """One check of the service's health for the ops channel; outside the cycle's lock, to see a stuck cycle."""
        if self.watch_pass is None or self.stopping.is_set():
            return
        try:
            await asyncio.to_thread(self.watch_pass)
        except Exception:  # the next check tries again
            log.exception("surveillance du service")

    async def run(self) -> None:
        # One line per HTTP request and two per 30 s tick drown what matters (errors, cycles) in the logs.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)
        self.collector.sync_sources()
        digest_config = self.config.digest
        # APScheduler runs its jobs by the wall clock: their first run times are read from it, not from self.clock.
        scheduler = AsyncIOScheduler(timezone=digest_config.zone)
        scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=TICK_SECONDS),
            id="collect",
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow(),
        )
        scheduler.add_job(
            self.digest,
            CronTrigger(hour=digest_config.time.hour, minute=digest_config.time.minute, timezone=digest_config.zone),
            id="digest",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
        if self.deliver_pass is not None:
            scheduler.add_job(
                self.deliver,
                IntervalTrigger(seconds=DELIVER_SECONDS),
                id="deliver",
                max_instances=1,
                coalesce=True,
                next_run_time=utcnow(),
            )
        if self.watch_pass is not None:
            scheduler.add_job(
                self.watch, IntervalTrigger(seconds=WATCH_SECONDS), id="watch", max_instances=1, coalesce=True
            )
        local_now = self.clock().astimezone(digest_config.zone)
        if local_now.time() >= digest_config.time:
            # Catch up after a restart: the digest run is keyed by (day, channel), so an already sent one is skipped.
            scheduler.add_job(self.digest, id="digest-catch-up", next_run_time=utcnow())
        scheduler.start()
        listener = await asyncio.to_thread(start_listener, self.engine, self.config)  # Slack buttons, if configured
        log.info(
            "service démarré : %s, synthèse chaque jour à %s",
            counted(len(self.config.sources), "source", "sources"),
            f"{digest_config.time:%H:%M}",
        )
        try:
            await self.stopping.wait()
        finally:
            log.info("arrêt demandé : fin du travail en cours…")
            scheduler.shutdown(wait=False)
            if listener is not None:
                listener.close()
            # Let the running cycle finish its transaction instead of cutting it off.
            async with self._busy, self._delivering:
                pass
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            await asyncio.to_thread(self.collector.close)
            log.info("service arrêté proprement")
