"""End-to-end ingest speed: feed bytes -> parsed, normalised, deduplicated, scored and stored items.

Compared with `feedparser.parse` alone on the same bytes (the target is at least 0.5x its speed).
Usage: python bench/ingest.py [CORPUS_DIR]   (default ../shared/corpus or $VEILLE_CORPUS)
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import feedparser

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlmodel import select  # noqa: E402

from store import sources  # noqa: E402
from store.db import make_engine, session_scope, upgrade  # noqa: E402
from store.models import Item, Score, utcnow  # noqa: E402
from watcher.config import SourceConfig, load_config  # noqa: E402
from watcher.pipeline import Collector  # noqa: E402
from watcher.prepare import read_feed  # noqa: E402

RUNS = 5  # each side is timed this many times and its best run kept: the machine's noise, not the code, varies


def pipeline_seconds(bodies: list[bytes], files: list[Path]) -> tuple[float, int, int, int]:
    """One end-to-end run on a fresh database: (seconds, entries handled, items kept, items scored)."""
    base = load_config(REPO / "sources.yaml")
    specs = [
        SourceConfig(name=f"Le Monde {n:03d}", url=f"https://www.lemonde.fr/bench/{n}.xml", topics=["hopital"])
        for n in range(len(files))
    ]
    config = base.model_copy(update={"sources": specs})
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        collector = Collector(engine, config)
        collector.sync_sources()
        with session_scope(engine) as session:
            claimed = sources.claim_due_sources(session, utcnow(), collector.owner, collector.lease)
        stored = 0
        started = time.perf_counter()
        for source, spec, body in zip(claimed, specs, bodies, strict=True):
            now = utcnow()
            feed = read_feed(body, spec.url, "application/rss+xml", spec.name, now)
            validators = (None, None, hashlib.sha256(body).hexdigest())
            report = collector._store(1, source, spec, feed, now, 200, validators, None, {})
            stored += report.new + report.updated + report.unchanged
        seconds = time.perf_counter() - started
        with session_scope(engine) as session:
            kept = len(session.exec(select(Item.id)).all())
            scored = len(session.exec(select(Score.item_id)).all())
        engine.dispose()
    return seconds, stored, kept, scored


def main() -> None:
    default = os.environ.get("VEILLE_CORPUS", REPO.parent / "shared" / "corpus")
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    files = sorted((corpus / "lemonde-rss-2022" / "raw").rglob("*.xml"))
    if not files:
        sys.exit(f"aucun flux brut sous {corpus}/lemonde-rss-2022/raw")
    bodies = [path.read_bytes() for path in files]

    # Interleaved, so that a slow spell of the machine weighs on both sides alike.
    feedparser_runs, runs = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        parsed_entries = sum(len(feedparser.parse(body).entries) for body in bodies)
        feedparser_runs.append(time.perf_counter() - started)
        runs.append(pipeline_seconds(bodies, files))
    feedparser_seconds = min(feedparser_runs)
    pipeline_best, stored, kept, scored = min(runs)

    feedparser_rate = parsed_entries / feedparser_seconds
    pipeline_rate = stored / pipeline_best
    print(f"{len(files)} flux Le Monde 2022, {parsed_entries} entrées ({sum(map(len, bodies)) / 1e6:.1f} Mo), "
          f"meilleure de {RUNS} mesures de chaque côté")  # fmt: skip
    print(f"feedparser.parse seul      : {feedparser_seconds:6.2f} s  {feedparser_rate:8.0f} entrées/s")
    print(
        f"bout en bout (SQLite)      : {pipeline_best:6.2f} s  {pipeline_rate:8.0f} entrées/s "
        f"({kept} articles distincts stockés, {scored} notés)"
    )
    print(f"ratio bout en bout / feedparser : {pipeline_rate / feedparser_rate:.2f}  (objectif ≥ 0,5)")


if __name__ == "__main__":
    main()
