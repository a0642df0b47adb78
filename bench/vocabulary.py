"""Memory of the per-word caches over a year of press: bounded, not growing with the archive.

    python bench/vocabulary.py [--items 30000]

`bench/rss.py` measures the service through one cycle, whose 300 feeds hold some 25,000 distinct words. A service
that runs for years meets new words every day (names, places, figures), and every process that analyses text keeps
a cache per word: tokens with their stems and search index stems (`watcher.text`) and MinHash word hashes
(`watcher.stories`). This runs a year of Le Monde (`lemonde-rss-2022`, titles and leads in publication order)
through what the prepare worker makes of each item — its story document and its search entry — and prints the
process's resident memory and the caches' sizes as the year goes by, with the caches bounded as shipped
(`WORD_CACHE_SIZE`) and, for comparison, unbounded. Each run is its own process, so its memory is its own.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CORPUS = Path(os.environ.get("VEILLE_CORPUS", REPO.parent / "shared" / "corpus"))
CHECKPOINTS = 6


def resident_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def run(items: int, unbounded: bool) -> None:
    from bench.relevance import lemonde_2022_rows
    from watcher import search, stories, text
    from watcher.normalize import html_to_text

    if unbounded:  # the same functions, their caches without a bound
        text._token = functools.lru_cache(maxsize=None)(text._token.__wrapped__)  # type: ignore[assignment]
        stories._word_hash = functools.lru_cache(maxsize=None)(stories._word_hash.__wrapped__)  # type: ignore[assignment]
    rows = [
        (row["title"], html_to_text(row["description"]), datetime.fromisoformat(row["pubDate"]))
        for row in lemonde_2022_rows()[:items]
    ]
    start = resident_mb()
    step = max(1, len(rows) // CHECKPOINTS)
    for n in range(0, len(rows), step):
        batch = rows[n : n + step]
        stories.story_docs([(title, lead, at, None) for title, lead, at in batch])
        for title, lead, _at in batch:
            search.index_entry(SimpleNamespace(id=0, title=title, summary=lead, content=None))  # type: ignore[arg-type]
        print(
            f"{n + len(batch):>7}  {text._token.cache_info().currsize:>7}"
            f"  {stories._word_hash.cache_info().currsize:>7}  {resident_mb() - start:>8.1f}",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=31_000)
    parser.add_argument("--unbounded", action="store_true", help=argparse.SUPPRESS)  # one run, in its own process
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.items, args.unbounded)
        return 0
    if not (CORPUS / "lemonde-rss-2022").is_dir():
        print(f"{CORPUS / 'lemonde-rss-2022'} absent: nothing to measure")
        return 0
    from watcher.text import WORD_CACHE_SIZE

    growth = {}
    for label, flags in ((f"bounded ({WORD_CACHE_SIZE:,} words)", []), ("unbounded", ["--unbounded"])):
        print(f"== caches {label}")
        print("  items   tokens  hashes  memory growth (MB)")
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--items", str(args.items), *flags],
            check=True,
            capture_output=True,
            text=True,
        )
        print(done.stdout, end="")
        lines = done.stdout.splitlines()
        growth[label] = (float(lines[len(lines) // 2].split()[-1]), float(lines[-1].split()[-1]))
    for label, (half, full) in growth.items():
        print(f"{label}: {half:.1f} MB at half the year, {full:.1f} MB at its end ({full / max(half, 0.1):.2f}×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
