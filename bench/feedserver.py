"""Local feed servers for the benchmarks: N feeds spread over loopback addresses, with a fixed latency.

Each loopback address (127.0.0.2, 127.0.0.3…) is its own « site », so the per-host
limit of the Fetcher does not hide the global one. Feeds are the raw Le Monde 2022
captures of the shared corpus, each served under its own URL.

The servers run in a child process: in the benchmark's own process, their threads
would take the interpreter lock from the collector being measured.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FEEDS_PER_HOST = 4


_PUB_DATE_RE = re.compile(rb"<pubDate>[^<]*</pubDate>")


def dated_recently(body: bytes, seed: int) -> bytes:
    """The same feed with its items published over the last day: all of them inside the 72 h story window."""
    now = datetime.now(UTC)
    counter = iter(range(10_000))

    def recent(_match: re.Match[bytes]) -> bytes:
        moment = now - timedelta(minutes=(seed * 7 + next(counter) * 13) % 1440)
        return b"<pubDate>" + format_datetime(moment).encode() + b"</pubDate>"

    return _PUB_DATE_RE.sub(recent, body)


def corpus_bodies(count: int) -> list[bytes]:
    corpus = Path(os.environ.get("VEILLE_CORPUS", REPO.parent / "shared" / "corpus"))
    files = sorted((corpus / "lemonde-rss-2022" / "raw").rglob("*.xml"))
    if not files:
        raise SystemExit(f"aucun flux brut sous {corpus}/lemonde-rss-2022/raw (définissez VEILLE_CORPUS)")
    bodies = [path.read_bytes() for path in files]

    # Beyond the 192 captures, a feed is a capture whose links are made unique, so every feed brings items.
    def copy(n: int) -> bytes:
        prefix = f"https://www.lemonde.fr/copie{n // len(bodies)}/".encode()
        return bodies[n % len(bodies)].replace(b"https://www.lemonde.fr/", prefix)

    return [bodies[n] if n < len(bodies) else copy(n) for n in range(count)]


class FeedFarm:
    """`count` feeds at `latency` seconds each; answers 304 to a matching If-None-Match when `etags` is on."""

    def __init__(self, count: int, latency: float, etags: bool = True, recent: bool = False):
        self.bodies = corpus_bodies(count)
        if recent:
            self.bodies = [dated_recently(body, n) for n, body in enumerate(self.bodies)]
        self.latency = latency
        self.etags = etags
        self.servers: list[ThreadingHTTPServer] = []
        self.urls: list[str] = []
        farm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                time.sleep(farm.latency)
                index = int(self.path.strip("/").split(".")[0])
                body = farm.bodies[index]
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if farm.etags and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                if farm.etags:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        for host in range((count + FEEDS_PER_HOST - 1) // FEEDS_PER_HOST):
            server = ThreadingHTTPServer((f"127.0.0.{host + 2}", 0), Handler)
            server.daemon_threads = True
            self.servers.append(server)
        for n in range(count):
            server = self.servers[n // FEEDS_PER_HOST]
            address, port = server.server_address[:2]
            self.urls.append(f"http://{address}:{port}/{n}.xml")

    def __enter__(self) -> FeedFarm:
        # Forked after the sockets are bound: the child serves them, the parent only knows their URLs.
        self._child = multiprocessing.get_context("fork").Process(target=self._serve, daemon=True)
        self._child.start()
        for server in self.servers:
            server.socket.close()
        return self

    def _serve(self) -> None:
        threads = [
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            for server in self.servers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def __exit__(self, *exc_info: object) -> None:
        self._child.terminate()
        self._child.join(timeout=10)
