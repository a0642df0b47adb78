"""Worker processes: a cold cycle's computing and storing on the other core, while the main process fetches.

Under the interpreter lock, one process ran the event loop, the parsing, the scoring and the
storing in turns, and every socket call of the event loop waited for a busy thread to hand
the lock back. So a cycle is a pipeline of processes:
- the main process fetches, holds the leases and records outcomes;
- a `prepare` worker parses, normalises, makes story documents and judgements (pure work);
- a `store` worker writes each source's batch, the one place that holds the story index.

Each worker is forked when it is made, which must happen before the process starts any
thread: a fork copies only the thread that forks, and a lock another thread held stays held
in the child. Forked, a worker shares the imported code and the rules with the main process.
A worker handles its requests one at a time, in order (the store worker is a single writer).
If one dies, its callers get `WorkerLost` and do the work themselves from then on: slower,
with the same results. A worker whose parent died exits by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

WORKERS_ENV_VAR = "WATCHER_WORKERS"
POLL_SECONDS = 1.0  # how soon a worker notices its parent died, and the parent a dead worker


class WorkersConfigError(ValueError):
    pass


class WorkerLost(Exception):
    """The worker process died before it answered."""


def workers_wanted() -> bool:
    """`WATCHER_WORKERS`: 1 to collect with worker processes, 0 to do everything in one; by default, 1 with two
    cores or more (a worker on a single core only adds the cost of passing items between processes)."""
    value = os.environ.get(WORKERS_ENV_VAR)
    if value is None:
        return len(os.sched_getaffinity(0)) > 1
    if value.strip() not in ("0", "1"):
        raise WorkersConfigError(
            f"{WORKERS_ENV_VAR} : valeur invalide « {value} » (1 pour collecter avec des processus auxiliaires, "
            "0 pour tout faire dans le processus principal)"
        )
    return value.strip() == "1"


def _serve(operations: Mapping[str, Callable[..., object]], requests: Any, results: Any, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the main process decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            request = requests.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if request is None:
            return
        key, operation, args = request
        try:
            answer = pickle.dumps((True, operations[operation](*args)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # every failure travels back to the caller, which reports it on its source
            try:
                answer = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                answer = pickle.dumps((False, RuntimeError(f"{exc.__class__.__name__} : {exc}")))
        results.put((key, answer))


class ForkedWorker:
    """One process, forked now, that runs `operations[operation](*args)` for each `call`, and answers with its result
    or error. The operations come with the fork: they are never pickled."""

    def __init__(self, name: str, operations: Mapping[str, Callable[..., object]]):
        self.name = name
        # What exists now (the imported code, the rules) lives on in every process: the collector would only
        # walk it, and walking it writes to every object, which copies the shared pages into each process.
        gc.freeze()
        context = multiprocessing.get_context("fork")
        self._requests = context.Queue()
        self._results = context.Queue()
        self._process = context.Process(
            target=_serve, args=(dict(operations), self._requests, self._results, os.getpid()), name=name, daemon=True
        )
        self._process.start()
        self._keys = itertools.count()
        self._pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = {}
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None  # started on the first call: after every fork
        self._lost = False
        self._closing = False

    @property
    def pid(self) -> int | None:
        return self._process.pid

    async def call(self, operation: str, *args: object) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            if self._lost:
                raise WorkerLost(self.name)
            key = next(self._keys)
            self._pending[key] = (loop, future)
            if self._reader is None:
                self._reader = threading.Thread(target=self._read, name=f"{self.name}-answers", daemon=True)
                self._reader.start()
        self._requests.put((key, operation, args))
        return await future

    def _read(self) -> None:
        while True:
            try:
                key, answer = self._results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not self._process.is_alive():
                    self._fail_pending()
                    return
                continue
            except (EOFError, OSError):  # closed
                self._fail_pending()
                return
            try:
                ok, value = pickle.loads(answer)
            except Exception as exc:  # an error the worker could pickle, but whose class cannot be rebuilt from it
                ok, value = False, RuntimeError(f"réponse illisible du processus auxiliaire « {self.name} » : {exc}")
            with self._lock:
                loop, future = self._pending.pop(key)
            with contextlib.suppress(RuntimeError):  # the caller's loop has closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, ok, value)

    def _fail_pending(self) -> None:
        with self._lock:
            if not self._lost and not self._closing:
                log.error(
                    "le processus auxiliaire « %s » s'est arrêté (code %s) : son travail se fait désormais "
                    "dans le processus principal",
                    self.name,
                    self._process.exitcode,
                )
            self._lost = True
            pending, self._pending = self._pending, {}
        for loop, future in pending.values():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, False, WorkerLost(self.name))

    def close(self) -> None:
        """Let the worker finish what it was given, then stop it."""
        with self._lock:
            self._closing = True
        if self._process.is_alive():
            self._requests.put(None)
            self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        with self._lock:
            self._lost = True
        if self._reader is not None:
            self._reader.join(timeout=2 * POLL_SECONDS)
        self._requests.close()
        self._results.close()


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # its caller was cancelled
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
