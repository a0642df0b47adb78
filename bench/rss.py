"""Peak resident memory of `watcher run` with 300 sources (target ≤ 200 MB).

Starts the real service on a fresh SQLite database against 300 local feeds, waits
until every source has been collected once, then stops the service with SIGTERM.
The service is a main process and, on two cores or more, its two forked workers
(watcher/workers.py), which share the pages they were forked with. So the figure is
the peak, sampled every 50 ms, of the service's proportional set size: each process's
private pages plus its share of the pages it shares (Pss in /proc/PID/smaps_rollup).
Each process's own high-water mark (VmHWM) is printed too; their sum counts the shared
pages once per process, an upper bound.
Usage: python bench/rss.py [--feeds 300] [--latency 0.2] [--recent] [--workers 1|0]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
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


def _field_mb(path: str, name: str) -> float:
    for line in Path(path).read_text().splitlines():
        if line.startswith(name):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{name} absent de {path} (Linux requis)")


def service_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


class MemorySampler:
    """The service's summed Pss, every 50 ms, and each process's last VmHWM."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_pss = 0.0
        self.high_water: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            try:
                pids = service_pids(self.pid)
                total = sum(_field_mb(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
                # The processes running now: a short one (the migration at start) ends up out of the list.
                self.high_water = {pid: _field_mb(f"/proc/{pid}/status", "VmHWM:") for pid in pids}
            except (FileNotFoundError, ProcessLookupError):  # a process was starting or stopping
                continue
            self.peak_pss = max(self.peak_pss, total)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--workers", type=int, choices=(0, 1), default=1, help="WATCHER_WORKERS for the service")
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
        env = {
            **os.environ,
            "WATCHER_CONFIG": str(path),
            "WATCHER_DATABASE_URL": database,
            "WATCHER_WORKERS": str(args.workers),
        }
        started = time.perf_counter()
        service = subprocess.Popen(
            [sys.executable, "-m", "watcher", "run"], cwd=folder, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        engine = make_engine(database)
        done = 0
        try:
            with MemorySampler(service.pid) as memory:
                while done < args.feeds and service.poll() is None:
                    time.sleep(0.5)
                    try:
                        with session_scope(engine) as session:
                            done = session.exec(select(func.count()).select_from(FetchAttempt)).one()
                    except Exception:  # not migrated yet
                        continue
        finally:
            if service.poll() is None:
                service.send_signal(signal.SIGTERM)
                service.wait(timeout=60)
            engine.dispose()
    elapsed = time.perf_counter() - started
    print(f"watcher run, {args.feeds} sources collectées une fois en {elapsed:.1f} s")
    marks = sorted(memory.high_water.items())
    each = ", ".join(f"{'principal' if pid == service.pid else 'auxiliaire'} {mb:.0f} Mo" for pid, mb in marks)
    print(f"pic de mémoire résidente par processus (VmHWM) : {each} ; somme {sum(memory.high_water.values()):.0f} Mo")
    peak = memory.peak_pss
    print(f"pic de mémoire du service (Pss cumulé) : {peak:.0f} Mo = {peak / 200:.2f} × l'objectif de 200 Mo")


if __name__ == "__main__":
    main()
