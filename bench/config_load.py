"""What `watcher sources check` spends its time on, with the collective's sources.yaml.

    python bench/config_load.py [--runs 7]

Prints the median of several runs of:
- reading the file as before: PyYAML's pure-Python loader, once to compose (line numbers) and once to load;
- reading it now: one pass of libyaml's loader, composing and constructing from the same tree;
- validating the data into the typed models;
- importing the CLI module, and the whole `watcher sources check` command in a fresh process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.config import Config, _compose_and_construct, load_config  # noqa: E402

CONFIG = REPO / "sources.yaml"


def median_seconds(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    text = CONFIG.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    before = median_seconds(runs, lambda: (yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)))
    now = median_seconds(runs, lambda: _compose_and_construct(text))
    validate = median_seconds(runs, lambda: Config.model_validate(data))
    import_cli = median_seconds(runs, lambda: subprocess.run([sys.executable, "-c", "import watcher.cli"], check=True))
    check = median_seconds(
        runs,
        lambda: subprocess.run(
            [sys.executable, "-m", "watcher", "--config", str(CONFIG), "sources", "check"],
            check=True,
            capture_output=True,
        ),
    )
    sources = len(load_config(CONFIG).sources)
    print(f"sources.yaml: {sources} sources, {len(text.splitlines())} lines; median of {runs} runs")
    print(f"  YAML, pure Python, composed then loaded (before)  {before * 1000:7.1f} ms")
    print(f"  YAML, libyaml, one pass (now)                      {now * 1000:7.1f} ms  ({before / now:.1f}x faster)")
    print(f"  validation into the typed models                   {validate * 1000:7.1f} ms")
    print(f"  python -c 'import watcher.cli' (fresh process)     {import_cli * 1000:7.1f} ms")
    print(f"  watcher sources check (fresh process)              {check * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
