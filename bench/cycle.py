"""Cycle time against the network floor: 300 feeds, 200 ms latency, 20 connections (floor 300 / 20 × 0.2 s = 3 s).

Cold: an empty database, every feed parsed, scored and stored. Warm: nothing changed,
once answered by 304 Not Modified (ETag), once by the same body (body-hash skip).
Usage: python bench/cycle.py [--feeds 300] [--latency 0.2] [--connections 20] [--workers 1|0]
(--workers: with the worker processes of `watcher run`, the default on two cores or more; 0 = one process)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import update  # noqa: E402

from bench.feedserver import FeedFarm  # noqa: E402
from store.db import make_engine, session_scope, upgrade  # noqa: E402
from store.models import Source  # noqa: E402
from watcher.config import SourceConfig, load_config  # noqa: E402
from watcher.fetch import Fetcher  # noqa: E402
from watcher.pipeline import Collector, CycleReport  # noqa: E402
from watcher.workers import workers_wanted  # noqa: E402


def timed_cycle(collector: Collector, connections: int) -> tuple[float, CycleReport]:
    async def run() -> CycleReport:
        async with Fetcher(max_connections=connections, per_host=4, policy=collector.network) as fetcher:
            return await collector.run_cycle(fetcher=fetcher)

    started = time.perf_counter()
    report = asyncio.run(run())
    return time.perf_counter() - started, report


def all_due(collector: Collector) -> None:
    with session_scope(collector.engine) as session:
        session.exec(update(Source).values(next_check_at=datetime.now(UTC)))  # type: ignore[call-overload]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, choices=(0, 1), default=int(workers_wanted()))
    args = parser.parse_args()
    floor = args.feeds / args.connections * args.latency
    base = load_config(REPO / "sources.yaml")
    latency = f"latence {args.latency * 1000:.0f} ms"
    helpers = "avec" if args.workers else "sans"
    print(
        f"{args.feeds} flux, {latency}, {args.connections} connexions, {helpers} processus auxiliaires : "
        f"plancher {floor:.2f} s"
    )
    for etags in (True, False):
        with FeedFarm(args.feeds, args.latency, etags=etags) as farm, tempfile.TemporaryDirectory() as folder:
            specs = [
                SourceConfig(name=f"Flux {n:03d}", url=url, topics=["hopital"], interval="1h")
                for n, url in enumerate(farm.urls)
            ]
            engine = make_engine(f"sqlite:///{folder}/bench.db")
            upgrade(engine)
            collector = Collector(engine, base.model_copy(update={"sources": specs}), workers=bool(args.workers))
            collector.sync_sources()
            if etags:
                cold, report = timed_cycle(collector, args.connections)
                errors = len(report.errors)
                print(
                    f"froid          : {cold:6.2f} s  = {cold / floor:5.2f} × le plancher (objectif ≤ 1,5) "
                    f"— {report.new} articles stockés, {errors} erreurs"
                )
            else:
                timed_cycle(collector, args.connections)  # fills the database and the body hashes
            all_due(collector)
            warm, report = timed_cycle(collector, args.connections)
            how = "304 Not Modified" if etags else "même corps, empreinte identique"
            unchanged = sum(r.outcome == "not_modified" for r in report.sources)
            print(
                f"tiède ({how:<31}) : {warm:6.2f} s  = {warm / floor:5.2f} × le plancher (objectif ≤ 1,15) "
                f"— {unchanged}/{len(report.sources)} inchangés"
            )
            collector.close()
            engine.dispose()


if __name__ == "__main__":
    main()
