"""Serving the desk with uvicorn: in the foreground (`watcher web`) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette


def _config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    # No access log: it would print every address people visit, and the service log is for problems.
    return uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning", server_header=False)


def serve(app: Starlette, host: str, port: int) -> None:
    uvicorn.Server(_config(app, host, port)).run()


@contextmanager
def serving(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """The desk on a free port in a thread; yields its base URL."""
    server = uvicorn.Server(_config(app, host, port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("le bureau n'a pas démarré")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield f"http://{bound[0]}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
