"""Peak resident memory of `watcher run` with 300 sources (target ≤ 200 MB).

Starts the real service on a fresh SQLite database against 300 local feeds, waits
until every source has been collected once, reads the kernel's high-water mark
(VmHWM in /proc/PID/status), then stops the service with SIGTERM.
Usage: python bench/rss.py [--feeds 300] [--latency 0.2] [--recent]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.feedserver import FeedFarm  # noqa: E402
from store.db import make_engine, session_scope  # noqa: E402
from store.models import FetchAttempt  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM absent de /proc (Linux requis)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument(
        "--recent",
        action="store_true",
        help="items dated over the last day (the captures are from 2022): the story window holds them all",
    )
    args = parser.parse_args()
    with FeedFarm(args.feeds, args.latency, recent=args.recent) as farm, tempfile.TemporaryDirectory() as folder:
        config = yaml.safe_load((REPO / "sources.yaml").read_text(encoding="utf-8"))
        config["sources"] = [
            {"name": f"Flux {n:03d}", "url": url, "topics": ["hopital"], "interval": "1h"}
            for n, url in enumerate(farm.urls)
        ]
        path = Path(folder) / "sources.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        database = f"sqlite:///{folder}/veille.db"
        env = {**os.environ, "WATCHER_CONFIG": str(path), "WATCHER_DATABASE_URL": database}
        started = time.perf_counter()
        service = subprocess.Popen(
            [sys.executable, "-m", "watcher", "run"], cwd=folder, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        engine = make_engine(database)
        done = 0
        try:
            while done < args.feeds and service.poll() is None:
                time.sleep(0.5)
                try:
                    with session_scope(engine) as session:
                        done = session.exec(select(func.count()).select_from(FetchAttempt)).one()
                except Exception:  # not migrated yet
                    continue
            peak = peak_rss_mb(service.pid)
        finally:
            if service.poll() is None:
                service.send_signal(signal.SIGTERM)
                service.wait(timeout=60)
            engine.dispose()
    elapsed = time.perf_counter() - started
    print(f"watcher run, {args.feeds} sources collectées une fois en {elapsed:.1f} s")
    print(f"pic de mémoire résidente (VmHWM) : {peak:.0f} Mo = {peak / 200:.2f} × l'objectif de 200 Mo")


if __name__ == "__main__":
    main()
