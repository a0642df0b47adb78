"""`watcher.fetch.Fetcher` against a real HTTP server on 127.0.0.1: statuses, caps, deadlines, network errors."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import importlib.abc
import socket
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from tests.localserver import Answer, LocalServer
from watcher.fetch import Fetcher, FetchError, FetchResult
from watcher.netguard import NetworkPolicy

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Sant\xc3\xa9</title></channel></rss>'


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None, **options: float) -> FetchResult:
    async def run() -> FetchResult:
        # The local test server is named, as a source of sources.yaml would be.
        async with Fetcher(policy=NetworkPolicy.for_urls([url]), **options) as fetcher:  # type: ignore[arg-type]
            return await fetcher.get(url, etag=etag, last_modified=last_modified)

    return asyncio.run(run())


def fetch_error(url: str, **options: float) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, **options)
    return caught.value


def timed_fetch_error(url: str, **options: float) -> tuple[FetchError, float]:
    started = time.monotonic()
    error = fetch_error(url, **options)
    return error, time.monotonic() - started


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Lets stalling handlers end as soon as the test is over (the server joins its threads on close)."""
    event = threading.Event()
    yield event
    event.set()


# --------------------------------------------------------------------------- success


def test_200_returns_the_body_and_headers(server: LocalServer) -> None:
    url = server.route("/feed.xml", FEED, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    result = fetch(url)
    assert result.status == 200
    assert result.body == FEED
    assert result.url == url
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert not result.not_modified


def test_redirect_is_followed_and_the_final_url_reported(server: LocalServer) -> None:
    final = server.route("/new.xml", FEED)
    old = server.route("/old.xml", Answer(b"", 301, {"Location": "/new.xml"}))
    result = fetch(old)
    assert result.body == FEED
    assert result.url == final


def test_user_agent_identifies_the_service(server: LocalServer) -> None:
    url = server.route("/feed.xml", FEED)
    fetch(url)
    path, headers = server.requests[-1]
    assert path == "/feed.xml"
    lowered = {name.lower(): value for name, value in headers.items()}
    assert "veille" in lowered["user-agent"]
    assert "if-none-match" not in lowered  # no conditional header without an etag


def _conditional(request: BaseHTTPRequestHandler) -> Answer:
    if request.headers.get("If-None-Match") == '"v1"':
        return Answer(b"", 304, {"ETag": '"v1"'})
    return Answer(FEED, 200, {"ETag": '"v1"'})


def test_etag_gives_a_304_not_modified(server: LocalServer) -> None:
    url = server.route("/feed.xml", _conditional)
    first = fetch(url)
    assert first.status == 200 and first.body == FEED
    assert first.headers["etag"] == '"v1"'
    second = fetch(url, etag=first.headers["etag"])
    assert second.status == 304
    assert second.not_modified
    assert second.body == b""
    assert server.requests[-1][1].get("If-None-Match") == '"v1"'


def test_stale_etag_gets_the_full_body(server: LocalServer) -> None:
    url = server.route("/feed.xml", _conditional)
    result = fetch(url, etag='"v0"')
    assert result.status == 200 and not result.not_modified and result.body == FEED


def test_last_modified_is_sent_as_if_modified_since(server: LocalServer) -> None:
    def handler(request: BaseHTTPRequestHandler) -> Answer:
        if request.headers.get("If-Modified-Since") == "Mon, 10 Feb 2025 12:00:00 GMT":
            return Answer(b"", 304)
        return Answer(FEED)

    url = server.route("/feed.xml", handler)
    assert fetch(url, last_modified="Mon, 10 Feb 2025 12:00:00 GMT").not_modified


def test_gzip_body_is_decompressed(server: LocalServer) -> None:
    url = server.route("/feed.xml", gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    assert fetch(url).body == FEED


# --------------------------------------------------------------------------- HTTP errors


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (404, "page introuvable"),
        (410, "flux supprimé définitivement"),
        (500, "erreur interne du serveur"),
        (503, "service indisponible"),
    ],
)
def test_http_error_status_is_a_french_fetch_error(server: LocalServer, status: int, reason: str) -> None:
    url = server.route(f"/status/{status}", Answer(b"<html>error</html>", status, {"Content-Type": "text/html"}))
    error = fetch_error(url)
    message = str(error)
    assert error.status == status
    assert f"HTTP {status}" in message
    assert reason in message
    assert url in message
    assert error.retry_after is None


def test_503_keeps_retry_after(server: LocalServer) -> None:
    url = server.route("/busy", Answer(b"busy", 503, {"Retry-After": "120"}))
    error = fetch_error(url)
    assert error.status == 503
    assert error.retry_after == "120"
    assert "HTTP 503" in str(error) and url in str(error)


def test_redirect_loop_is_cut(server: LocalServer) -> None:
    url = server.route("/loop", Answer(b"", 302, {"Location": "/loop"}))
    error = fetch_error(url)
    assert "trop de redirections" in str(error)
    assert url in str(error)
    assert error.status is None
    assert 2 <= server.hits["/loop"] <= 7


# --------------------------------------------------------------------------- size cap


def test_declared_content_length_above_the_cap(server: LocalServer) -> None:
    url = server.route("/big.xml", b"x" * 5000)
    error = fetch_error(url, max_bytes=1000)
    assert "trop volumineuse" in str(error)
    assert url in str(error)


def _chunked(size: int):
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/xml")
        request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        try:
            for start in range(0, size, 500):
                chunk = b"x" * min(500, size - start)
                request.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            request.wfile.write(b"0\r\n\r\n")
        except OSError:
            request.close_connection = True

    return handler


def _close_delimited(size: int):
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/xml")
        request.send_header("Connection", "close")  # no Content-Length: the body ends with the connection
        request.end_headers()
        with contextlib.suppress(OSError):
            request.wfile.write(b"x" * size)
        request.close_connection = True

    return handler


@pytest.mark.parametrize("make_handler", [_chunked, _close_delimited], ids=["chunked", "close-delimited"])
def test_undeclared_length_is_capped_while_reading(server: LocalServer, make_handler) -> None:
    small = fetch(server.route("/small", make_handler(800)), max_bytes=1000)
    assert small.body == b"x" * 800  # the handler does serve a body without Content-Length
    assert "content-length" not in small.headers
    url = server.route("/big", make_handler(5000))
    error = fetch_error(url, max_bytes=1000)
    assert "trop volumineuse" in str(error)
    assert url in str(error)


def test_gzip_bomb_is_capped_on_decompressed_size(server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * (5 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    url = server.route("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    error = fetch_error(url, max_bytes=1024 * 1024)
    assert "trop volumineuse" in str(error)
    assert url in str(error)


def test_gzip_bomb_never_inflates_past_the_cap_in_memory(server: LocalServer) -> None:
    # httpx inflates a whole network chunk at once: 64 KB of gzip became ~60 MB before the cap was checked.
    bomb = gzip.compress(b"\0" * (60 * 1024 * 1024), compresslevel=9)
    url = server.route("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        error = fetch_error(url, max_bytes=1024 * 1024, deadline_seconds=10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "trop volumineuse" in str(error)
    assert peak < 8 * 1024 * 1024, f"pic mémoire {peak / 1e6:.1f} Mo"


def test_deflate_with_and_without_zlib_header(server: LocalServer) -> None:
    wrapped = zlib.compress(FEED)
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    bare = raw.compress(FEED) + raw.flush()
    assert fetch(server.route("/z.xml", wrapped, headers={"Content-Encoding": "deflate"})).body == FEED
    assert fetch(server.route("/r.xml", bare, headers={"Content-Encoding": "deflate"})).body == FEED


def test_unsupported_content_encoding_is_a_french_error(server: LocalServer) -> None:
    url = server.route("/br.xml", b"\x1b\x00", headers={"Content-Encoding": "br"})
    assert "encodage de contenu non pris en charge « br »" in str(fetch_error(url))


def test_too_large_message_states_a_meaningful_limit(server: LocalServer) -> None:
    url = server.route("/big.xml", b"x" * 5000)
    message = str(fetch_error(url, max_bytes=1000))
    assert "plus de 0 Mo" not in message


# --------------------------------------------------------------------------- deadlines


def test_hanging_server_hits_the_deadline(server: LocalServer, release: threading.Event) -> None:
    def hang(request: BaseHTTPRequestHandler) -> None:
        release.wait(timeout=5)
        request.close_connection = True

    url = server.route("/hang", hang)
    error, elapsed = timed_fetch_error(url, deadline_seconds=1)
    assert "délai dépassé" in str(error)
    assert url in str(error)
    assert elapsed < 2.5


def test_slow_drip_hits_the_whole_request_deadline(server: LocalServer, release: threading.Event) -> None:
    def drip(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/xml")
        request.send_header("Content-Length", "100")
        request.end_headers()
        request.close_connection = True
        try:
            for _ in range(100):  # 1 byte every 0.3 s: every single read is well within the read timeout
                request.wfile.write(b"x")
                if release.wait(timeout=0.3):
                    return
        except OSError:
            return

    url = server.route("/drip", drip)
    error, elapsed = timed_fetch_error(url, deadline_seconds=1)
    assert "délai dépassé" in str(error)
    assert url in str(error)
    assert elapsed < 2.5


# --------------------------------------------------------------------------- network errors


def test_connection_refused_is_a_fetch_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{unused_port()}/feed.xml"
    error, elapsed = timed_fetch_error(url)
    assert url in str(error)
    assert error.status is None
    assert elapsed < 3


def test_connection_refused_says_connexion_refusee() -> None:
    url = f"http://127.0.0.1:{unused_port()}/feed.xml"
    assert "connexion refusée" in str(fetch_error(url))


def test_unresolvable_host() -> None:
    url = "http://nonexistent.invalid/"
    error, elapsed = timed_fetch_error(url)
    assert "nom de domaine introuvable" in str(error)
    assert url in str(error)
    assert elapsed < 3


def test_fetcher_outside_async_with_is_refused() -> None:
    async def run() -> None:
        await Fetcher().get("http://127.0.0.1/")

    with pytest.raises(RuntimeError):
        asyncio.run(run())


class _ImportRecorder(importlib.abc.MetaPathFinder):
    """Notes every module the interpreter goes looking for; finds none itself."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        self.searched.append(fullname)
        return None


def test_requests_do_not_search_for_a_module_each_time(server: LocalServer) -> None:
    # httpcore imports sniffio on every pool operation; when it is missing, each request walked sys.path
    # for it again (a failed import is not cached): a tenth of a warm cycle's CPU.
    url = server.route("/feed.xml", FEED)

    async def run() -> None:
        async with Fetcher(policy=NetworkPolicy.for_urls([url])) as fetcher:
            await fetcher.get(url)  # the first request may import what it needs
            sys.meta_path.insert(0, recorder)
            try:
                for _ in range(5):
                    await fetcher.get(url)
            finally:
                sys.meta_path.remove(recorder)

    recorder = _ImportRecorder()
    asyncio.run(run())
    assert recorder.searched == []
