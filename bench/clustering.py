"""Story clustering cost per item at 10k and 100k synthetic items, with peak memory.

    python bench/clustering.py [--sizes 10000 100000] [--per-day 3000]

Synthetic French-like items arrive at a steady rate (default 3,000 a day, several times the
collective's real volume); a third of them are follow-ups of a recent event (shared names,
dates and words), the rest are fresh. Each size runs in its own process so that its peak
resident memory (ru_maxrss) is its own. The index keeps only the 72 h window, so the cost per
item must not grow with the number of items: the 100k figure should stay within 1.5× of 10k.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import time
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.stories import StoryIndex, story_doc  # noqa: E402

_SYLLABLES = (
    "ba be bi bo cha che da de di do fa fe fi la le li lo ma me mi mo na ne no pa pe pi ra re ri ro sa se si so ta te"
).split()
_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables))


def make_items(count: int, per_day: int, seed: int = 7) -> list[tuple[str, str, datetime]]:
    rng = random.Random(seed)
    vocabulary = [_word(rng, rng.randint(2, 4)) for _ in range(20_000)]
    names = [_word(rng, 3).capitalize() for _ in range(5_000)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    step = timedelta(days=1) / per_day
    events: list[tuple[list[str], list[str], str]] = []
    items = []
    for index in range(count):
        if events and rng.random() < 0.33:
            words, people, day = rng.choice(events[-200:])  # a follow-up of a recent event
        else:
            words = rng.choices(vocabulary, k=12)
            people = rng.sample(names, 2)
            day = f"{rng.randint(1, 28)} {rng.choice(_MONTHS)}"
            events.append((words, people, day))
        body = rng.sample(words, 8) + rng.choices(vocabulary, k=14)
        title = f"{people[0]} : " + " ".join(rng.sample(words, 5)) + f" le {day}"
        summary = f"Selon {people[1]}, " + " ".join(body) + "."
        items.append((title, summary, start + index * step))
    return items


def run(count: int, per_day: int) -> None:
    items = make_items(count, per_day)
    docs = [(title, summary, at) for title, summary, at in items]
    index = StoryIndex()
    began = time.perf_counter()
    stories = 0
    for key, (title, summary, at) in enumerate(docs):
        doc = story_doc(title, summary, at)
        placement = index.place(doc)  # as the service does: the best match's story, merged with those it links
        if placement.story is None:
            stories += 1
            story: Hashable = key
        else:
            story, absorbed = index.gather(placement.story, placement.linked)
            stories -= len(absorbed)
        index.add(key, story, doc)
    elapsed = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(f"{count}\t{elapsed / count * 1e6:.0f}\t{peak_mb:.0f}\t{len(index)}\t{stories}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--per-day", type=int, default=3_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.child, args.per_day)
        return 0
    results = []
    for size in args.sizes:
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--per-day", str(args.per_day)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        results.append((int(output[0]), int(output[1]), int(output[2]), int(output[3]), int(output[4])))
    print(f"{'items':>8} {'µs/item':>9} {'peak MB':>8} {'in window':>10} {'stories':>8}")
    for count, micros, peak, window, stories in results:
        print(f"{count:>8} {micros:>9} {peak:>8} {window:>10} {stories:>8}")
    if len(results) >= 2:
        ratio = results[-1][1] / results[0][1]
        print(f"cost per item, {results[-1][0]} vs {results[0][0]}: ×{ratio:.2f} (target ≤ ×1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
