"""Search throughput on a synthetic archive: `python bench/search.py [ITEMS]` (default 20 000).

Builds an SQLite archive by copying the demo snapshot's items with varied ids, indexes it the way
the pipeline does, then prints indexing throughput and queries per second for a few French queries.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import select

from store.db import make_engine, session_scope
from store.models import Item
from watcher.config import load_config
from watcher.demo.runner import run_demo
from watcher.search import catch_up, search

QUERIES = ("urgences fermées", "urgences fermees", "grève des internes", "« aide médicale d'État »", "hôpitaux")


def main(total: int) -> None:
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as folder:
        result = run_demo(load_config(root / "sources.yaml"), Path(folder))
        engine = make_engine(f"sqlite:///{result.database}")
        with session_scope(engine) as session:
            seeds = list(session.exec(select(Item)).all())
            copies = 0
            while len(seeds) + copies < total:
                seed = seeds[copies % len(seeds)]
                session.add(
                    Item(
                        **{
                            **seed.model_dump(exclude={"id", "story_id"}),
                            "guid": f"{seed.guid}#{copies}",
                            "url": f"{seed.url}?copie={copies}",
                            "title_date_key": f"{seed.title_date_key}{copies}",
                        }
                    )
                )
                copies += 1
        started = time.perf_counter()
        indexed = catch_up(engine)
        indexing = time.perf_counter() - started
        print(f"{indexed + len(seeds)} articles ; indexation : {indexed / indexing:,.0f} articles/s".replace(",", " "))
        for query in QUERIES:
            rounds = 20
            started = time.perf_counter()
            for _ in range(rounds):
                hits = search(engine, query)
            elapsed = (time.perf_counter() - started) / rounds
            print(f"{query} : {len(hits)} premiers résultats, {1 / elapsed:,.0f} requêtes/s".replace(",", " "))
        engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
