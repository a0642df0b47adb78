"""A static file server on 127.0.0.1 for the snapshot, in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# No charset parameter: the XML declaration tells it (one feed is ISO-8859-15, like the Sénat's).
_CONTENT_TYPES = {".xml": "application/xml", ".json": "application/feed+json"}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the demo prints its own summary
        pass

    def guess_type(self, path: str | Path) -> str:
        return _CONTENT_TYPES.get(Path(path).suffix) or super().guess_type(path)


@contextmanager
def serve_directory(directory: Path, port: int = 0) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1, on `port` or a free one; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-server", daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
