"""The fault matrix: one misbehaving source among healthy ones, against a real local server.

In every case the cycle finishes, the faulty source carries a clear French error
(and the next due time the fault calls for), every item of the healthy sources
is stored, and nothing crashes. A combined run puts every fault in one cycle on
SQLite and PostgreSQL and checks that memory stays bounded (tracemalloc peak).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import socket
import struct
import tempfile
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func
from sqlmodel import select
from typer.testing import CliRunner

from store.db import session_scope
from store.models import Item, Source
from tests.clock import NOW, frozen
from tests.conftest import REPO_ROOT, config_with_sources
from tests.feeds import rss
from tests.localserver import Answer, LocalServer
from watcher.cli import app
from watcher.config import Config
from watcher.fetch import Fetcher
from watcher.pipeline import Collector, CycleReport

DEADLINE = 1.0
MAX_BYTES = 1024 * 1024
HEALTHY = {
    f"Sain {letter}": [
        {
            "title": f"Article {letter}{n} sur les urgences de l'hôpital",
            "link": f"https://sain-{letter.lower()}.test/{n}",
            "published": NOW - timedelta(hours=n),
        }
        for n in range(3)
    ]
    for letter in "AB"
}
CLOUDFLARE = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    b'<body><div class="cf-browser-verification">Checking your browser</div><p>cf-ray: 8a1b</p></body></html>'
)
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'.encode() for n in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>t</title><item><title>&lol9;</title>'
    b"<link>https://rire.test/1</link></item></channel></rss>"
)
XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title>'
    b"<link>https://xxe.test/1</link></item></channel></rss>"
)


@dataclass(frozen=True)
class Fault:
    path: str
    expected: str  # in the French error of the source
    answer: Callable[[threading.Event], Answer | Callable[[BaseHTTPRequestHandler], Answer | None]] | None = None
    url: str | None = None  # a fault that needs no server (unresolvable host)
    min_delay: timedelta = timedelta(minutes=30)  # the source is not due again before this


def _hang(release: threading.Event) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(request: BaseHTTPRequestHandler) -> None:
        release.wait(timeout=10)
        request.close_connection = True

    return handler


def _drip(release: threading.Event) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", "1000")
        request.end_headers()
        request.close_connection = True
        with contextlib.suppress(OSError):
            for _ in range(1000):  # one byte per second
                request.wfile.write(b" ")
                request.wfile.flush()
                if release.wait(timeout=1):
                    return

    return handler


def _huge(_release: threading.Event) -> Callable[[BaseHTTPRequestHandler], None]:
    # 50 MB, chunked: no Content-Length to refuse up front, the cap must stop the reading.
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        request.close_connection = True
        chunk = b"<!-- " + b"x" * (64 * 1024 - 9) + b" -->"
        with contextlib.suppress(OSError):
            for _ in range(50 * 1024 * 1024 // len(chunk)):
                request.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            request.wfile.write(b"0\r\n\r\n")

    return handler


def _reset(_release: threading.Event) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(request: BaseHTTPRequestHandler) -> None:
        # SO_LINGER 0: close() sends a TCP RST instead of a clean FIN.
        request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        request.connection.close()
        request.close_connection = True

    return handler


_BOMB = gzip.compress(b"\0" * (50 * 1024 * 1024), compresslevel=9)
_SENAT_LIKE = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Sénat</title>'
    "<item><title>Vœux du Sénat : l'œuvre de la commission des affaires sociales</title>"
    "<link>https://senat.test/1</link></item></channel></rss>"
).encode("iso-8859-15")

FAULTS = {
    "500": Fault("/500", "HTTP 500 : erreur interne du serveur", lambda _: Answer(b"oops", 500)),
    "503-retry-after": Fault(
        "/503",
        "HTTP 503 : service indisponible",
        lambda _: Answer(b"busy", 503, {"Retry-After": "7200"}),
        min_delay=timedelta(hours=2) - timedelta(minutes=1),
    ),
    "429": Fault(
        "/429",
        "HTTP 429 : trop de requêtes",
        lambda _: Answer(b"slow down", 429, {"Retry-After": "10800"}),
        min_delay=timedelta(hours=3) - timedelta(minutes=1),
    ),
    "hang": Fault("/hang", "délai dépassé (", _hang),
    "drip": Fault("/drip", "délai dépassé (", _drip),
    "50-mo": Fault("/huge", "réponse trop volumineuse (plus de 1 Mo)", _huge),
    "gzip-bomb": Fault("/bomb", "réponse trop volumineuse", lambda _: Answer(_BOMB, 200, {"Content-Encoding": "gzip"})),
    "html": Fault(
        "/html",
        "page HTML « Page introuvable » reçue au lieu d'un flux",
        lambda _: Answer(b"<html><head><title>Page introuvable</title></head><body>404</body></html>", 200),
    ),
    "cloudflare": Fault(
        "/cf",
        "HTTP 403 : page de protection anti-robots (Cloudflare)",
        lambda _: Answer(CLOUDFLARE, 403, {"Content-Type": "text/html", "Server": "cloudflare", "CF-RAY": "8a1b-CDG"}),
    ),
    "cloudflare-200": Fault("/cf200", "page de protection anti-robots (Cloudflare)", lambda _: Answer(CLOUDFLARE, 200)),
    "invalid-xml": Fault(
        "/invalid", "ce n'est pas un flux RSS, Atom ou RDF", lambda _: Answer(b"<?xml version='1.0'?><<< &&& >>", 200)
    ),
    "redirect-loop": Fault("/loop", "trop de redirections", lambda _: Answer(b"", 302, {"Location": "/loop"})),
    "reset": Fault("/reset", "connexion interrompue par le serveur", _reset),
    "unresolvable": Fault("/none", "nom de domaine introuvable", url="http://flux-sante.invalid/rss.xml"),
    "billion-laughs": Fault("/laughs", "flux refusé : il déclare des entités XML", lambda _: Answer(LAUGHS)),
    "xxe": Fault("/xxe", "flux refusé : il déclare des entités XML", lambda _: Answer(XXE)),
    "410": Fault("/gone", "HTTP 410 : flux supprimé définitivement", lambda _: Answer(b"gone", 410)),
}


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def _serve_healthy(server: LocalServer) -> list[dict[str, object]]:
    specs = []
    for name, entries in HEALTHY.items():
        path = f"/{name.split()[-1].lower()}.xml"
        server.route(path, rss(name, entries))
        specs.append({"name": name, "url": server.url(path)})
    return specs


def _config_with_every_fault(real_config: Config, server: LocalServer, release: threading.Event) -> Config:
    """Two healthy sources and one source per case of `FAULTS`, served at once."""
    faulty = [
        {"name": f"Panne {case}", "url": fault.url or server.route(fault.path, fault.answer(release))}  # type: ignore[misc,arg-type]
        for case, fault in FAULTS.items()
    ]
    return config_with_sources(real_config, *_serve_healthy(server), *faulty)


def _assert_every_fault_handled(engine: Engine, report: CycleReport, started: datetime) -> None:
    assert len(report.sources) == len(FAULTS) + 2
    _assert_healthy_stored(engine, report)
    for case, fault in FAULTS.items():
        _assert_marked(engine, report, f"Panne {case}", fault, started)


def _run(engine: Engine, config: Config, *, workers: bool = False, **fetcher_options: float) -> CycleReport:
    collector = Collector(engine, config, workers=workers, clock=frozen())
    collector.sync_sources()

    async def cycle() -> CycleReport:
        options = {"deadline_seconds": DEADLINE, "max_bytes": MAX_BYTES, **fetcher_options}
        async with Fetcher(policy=collector.network, **options) as fetcher:  # type: ignore[arg-type]
            return await collector.run_cycle(fetcher=fetcher)

    try:
        return asyncio.run(cycle())
    finally:
        collector.close()


def _assert_healthy_stored(engine: Engine, report: CycleReport) -> None:
    by_name = {r.source: r for r in report.sources}
    with session_scope(engine) as session:
        for name, entries in HEALTHY.items():
            assert by_name[name].error is None and by_name[name].new == len(entries)
            source = session.exec(select(Source).where(Source.name == name)).one()
            stored = session.exec(select(Item.url).where(Item.source_id == source.id)).all()
            assert sorted(stored) == sorted(str(entry["link"]) for entry in entries)


def _assert_marked(engine: Engine, report: CycleReport, name: str, fault: Fault, started: datetime) -> None:
    by_name = {r.source: r for r in report.sources}
    assert by_name[name].error is not None and fault.expected in by_name[name].error
    with session_scope(engine) as session:
        source = session.exec(select(Source).where(Source.name == name)).one()
    assert source.last_error is not None and fault.expected in source.last_error
    assert source.consecutive_errors == 1 and source.lease_owner is None
    assert source.next_check_at is not None and source.next_check_at >= started + fault.min_delay


@pytest.mark.parametrize("case", list(FAULTS), ids=list(FAULTS))
def test_one_faulty_source_among_healthy_ones(
    sqlite_engine: Engine, real_config: Config, server: LocalServer, release: threading.Event, case: str
) -> None:
    fault = FAULTS[case]
    url = fault.url or server.route(fault.path, fault.answer(release))  # type: ignore[misc,arg-type]
    config = config_with_sources(real_config, *_serve_healthy(server), {"name": "En panne", "url": url})
    report = _run(sqlite_engine, config)
    assert len(report.sources) == 3
    _assert_healthy_stored(sqlite_engine, report)
    _assert_marked(sqlite_engine, report, "En panne", fault, NOW)


def test_every_fault_in_one_cycle_with_bounded_memory(
    engine: Engine, real_config: Config, server: LocalServer, release: threading.Event
) -> None:
    config = _config_with_every_fault(real_config, server, release)
    tracemalloc.start()
    try:
        # tracemalloc slows decompression down: a longer deadline keeps the bomb a size fault, not a timeout.
        report = _run(engine, config, per_host=len(FAULTS) + 2, deadline_seconds=3.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _assert_every_fault_handled(engine, report, NOW)
    # 50 MB bodies, a 50 MB gzip bomb and a billion laughs went by: never more than a few caps in memory.
    assert peak < 16 * MAX_BYTES, f"pic mémoire {peak / 1e6:.1f} Mo"


def test_every_fault_in_one_cycle_with_worker_processes(
    engine: Engine, real_config: Config, server: LocalServer, release: threading.Event
) -> None:
    # As `watcher run` collects on two cores: the broken feeds reach the prepare worker, whose errors come back.
    config = _config_with_every_fault(real_config, server, release)
    # Every fault at once keeps the local server busy: the healthy feeds need the longer deadline, workers or not.
    report = _run(engine, config, workers=True, per_host=len(FAULTS) + 2, deadline_seconds=3.0)
    _assert_every_fault_handled(engine, report, NOW)


def test_a_410_disables_the_source_until_someone_re_enables_it(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    from store.sources import enable_source

    gone = server.route("/gone", Answer(b"gone", 410))
    config = config_with_sources(real_config, {"name": "Disparu", "url": gone, "interval": "5m"})
    first = _run(engine, config)
    assert first.sources[0].disabled
    with session_scope(engine) as session:
        source = session.exec(select(Source)).one()
        assert source.disabled_reason is not None and "HTTP 410" in source.disabled_reason
        source.next_check_at = NOW - timedelta(minutes=1)  # due by the clock, yet disabled
    # The configuration sync (every start of `watcher run`) does not silently bring it back.
    assert _run(engine, config).sources == []
    assert server.hits["/gone"] == 1
    assert _collect_output(engine, config) == (
        "– Disparu : ignorée, désactivée (flux supprimé définitivement (HTTP 410)) ; "
        '« watcher sources enable "Disparu" » pour la reprendre'
    )
    # A new address does.
    server.route("/moved.xml", rss("Déplacé", HEALTHY["Sain A"]))
    moved = config_with_sources(real_config, {"name": "Disparu", "url": server.url("/moved.xml"), "interval": "5m"})
    assert _run(engine, moved).sources[0].new == 3
    # So does an explicit re-enabling, after the feed is declared gone again.
    server.route("/moved.xml", Answer(b"gone", 410))
    with session_scope(engine) as session:
        session.exec(select(Source)).one().next_check_at = NOW
    assert _run(engine, moved).sources[0].disabled
    with session_scope(engine) as session:
        assert enable_source(session, "Disparu", NOW) is not None
    server.route("/moved.xml", rss("Déplacé", HEALTHY["Sain B"]))
    assert _run(engine, moved).sources[0].new == 3


def _collect_output(engine: Engine, config: Config) -> str:
    """`watcher collect --source Disparu` on the same database: the line it prints about the source."""
    folder = Path(tempfile.mkdtemp())
    path = folder / "sources.yaml"
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [{"name": s.name, "url": s.url, "interval": "5m"} for s in config.sources]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {"WATCHER_CONFIG": str(path), "WATCHER_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    result = CliRunner().invoke(app, ["collect", "--source", "Disparu"], env={**os.environ, **env, "COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return next(line for line in result.output.splitlines() if "Disparu" in line).strip()


def test_wrong_declared_charset_is_read_right_and_flagged(
    sqlite_engine: Engine, real_config: Config, server: LocalServer
) -> None:
    url = server.route("/senat.xml", _SENAT_LIKE, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    config = config_with_sources(real_config, {"name": "Sénat", "url": url})
    report = _run(sqlite_engine, config)
    assert report.sources[0].warning is not None and "encodage déclaré inexact" in report.sources[0].warning
    with session_scope(sqlite_engine) as session:
        title = session.exec(select(Item.title)).one()
    assert title == "Vœux du Sénat : l'œuvre de la commission des affaires sociales"


def test_real_senat_feed_declared_utf8_keeps_its_accents(
    sqlite_engine: Engine, real_config: Config, server: LocalServer, corpus
) -> None:
    original = (corpus / "parliament-zam" / "senat" / "doslegplfss2020.xml").read_bytes()
    assert b'encoding="ISO-8859-15"' in original
    url = server.route("/dosleg.xml", original.replace(b'encoding="ISO-8859-15"', b'encoding="UTF-8"'))
    config = config_with_sources(real_config, {"name": "Sénat PLFSS", "url": url})
    report = _run(sqlite_engine, config)
    assert report.sources[0].error is None and report.sources[0].new > 0
    with session_scope(sqlite_engine) as session:
        titles = session.exec(select(Item.title)).all()
        assert session.exec(select(func.count()).select_from(Item)).one() == report.sources[0].new
    assert any("déposés" in title for title in titles)
    assert not any("\ufffd" in title or "Ã" in title for title in titles)
