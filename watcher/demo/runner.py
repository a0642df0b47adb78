"""`watcher demo`: the whole chain, offline, on a fresh SQLite database."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from alerts.digest import Digest
from store.db import make_engine, upgrade
from store.models import clock_at
from watcher.config import Config, DigestConfig, SourceConfig
from watcher.demo.dating import redated_copy
from watcher.demo.server import serve_directory
from watcher.digest_job import produce_digest
from watcher.pipeline import Collector, CycleReport, SourceReport
from watcher.search import catch_up

SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
DEMO_DATABASE = "veille-demo.db"


@dataclass(frozen=True)
class DemoResult:
    report: CycleReport
    digest: Digest
    files: list[Path]
    database: Path


def demo_sources(base_url: str) -> list[SourceConfig]:
    manifest = yaml.safe_load((SNAPSHOT_DIR / "manifest.yaml").read_text(encoding="utf-8"))
    return [
        SourceConfig(
            name=entry["name"],
            kind=entry.get("kind", "rss"),
            url=f"{base_url}/{entry['file']}",
            topics=entry.get("topics", []),
            weight=entry.get("weight", 0),
            category=entry.get("category", "presse"),
        )
        for entry in manifest["sources"]
    ]


def digest_day_holding(moment: datetime, settings: DigestConfig) -> date:
    """The day whose digest window (which ends that day at the digest time) holds `moment`."""
    local = moment.astimezone(settings.zone)
    return local.date() + timedelta(days=1) if local.time() >= settings.time else local.date()


def run_demo(
    config: Config,
    out_dir: Path,
    on_source_done: Callable[[SourceReport], None] | None = None,
    now: datetime | None = None,
    *,
    workers: bool = False,
    port: int = 0,
) -> DemoResult:
    """Serve the snapshot on 127.0.0.1, collect it into a new database, write the digest into out_dir.

    The themes, watchlist and thresholds are those of the given configuration,
    so the demo shows the rules the collective really runs. The snapshot is read as if on the morning
    it was written for, moved to `now` (by default, the wall clock's now). `workers` collects with the worker
    processes (WATCHER_WORKERS=1) as the service does; `port` serves the snapshot on that port rather than a free
    one, so that two runs name the same addresses.
    """
    clock = clock_at(now)
    out_dir.mkdir(parents=True, exist_ok=True)
    database = out_dir / DEMO_DATABASE
    for leftover in (database, database.with_name(f"{DEMO_DATABASE}-wal"), database.with_name(f"{DEMO_DATABASE}-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{database}")
    try:
        upgrade(engine)
        with (
            tempfile.TemporaryDirectory() as served,
            serve_directory(redated_copy(SNAPSHOT_DIR, Path(served), clock()), port=port) as base_url,
        ):
            demo_config = config.model_copy(update={"sources": demo_sources(base_url)})
            collector = Collector(engine, demo_config, clock=clock, workers=workers)
            try:
                collector.sync_sources()
                report = asyncio.run(collector.run_cycle(on_done=on_source_done))
            finally:
                collector.close()
        catch_up(engine)  # for `watcher search`, which only reads, as the service does after each cycle
        # The digest that will go out next, the one whose window holds this collection: then
        # `watcher digest --date <its day>` on the demo's database writes the same digest.
        day = digest_day_holding(clock(), config.digest)
        digest, files = produce_digest(engine, demo_config, day=day, out_dir=out_dir, now=clock())
    finally:
        engine.dispose()
    return DemoResult(report, digest, files, database)
