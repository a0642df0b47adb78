"""Outbound requests reach the internal network only at the sources that sources.yaml names.

An OPML import, which brings sources in from elsewhere, brings no internal address.

A hostile feed on a local server links to another local port, to `localhost` on
that port, and to its own server, which redirects there; a page source does the
same. The « internal » server is a second local server that no source names:
no request may reach it, and the items stay, with the feed's summary and a
French warning in the source's health.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.health import source_health_rows
from store.models import Item, Source
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import Answer, LocalServer
from tests.test_gnews import google_link
from tests.test_opml import _empty_config
from watcher.config import Config, load_config
from watcher.fetch import Fetcher, FetchError, FetchResult, RefusedAddress
from watcher.health import HealthStatus, assess
from watcher.netguard import ALLOW_ENV_VAR, NetworkPolicy, is_public, tls_context
from watcher.opml import import_opml
from watcher.pipeline import Collector, CycleReport

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SECRET = (
    b"<html><body><article><h1>Base interne</h1><p>" + b"mot de passe de la base interne. " * 20 + b"</p></article>"
)


@pytest.fixture
def internal() -> Iterator[LocalServer]:
    """A service of the internal network: answers everything, counts every request."""
    with LocalServer() as local:
        local.route("/secret", Answer(SECRET, headers={"Content-Type": "text/html; charset=utf-8"}))
        yield local


def _port(server: LocalServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def _internal_requests(internal: LocalServer) -> int:
    return sum(internal.hits.values())


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.20",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # CGNAT
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.251",  # multicast
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "198.18.0.1",  # benchmarking
        "192.0.2.10",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::808:808",  # NAT64 of a public address: still through the gateway
        "64:ff9b:1::a00:1",  # local-use NAT64
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "100.128.0.1", "100.63.255.255", "2606:4700::1111", "2002:5db8:d822::1"]
)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def _fetch(url: str, policy: NetworkPolicy, **options: object) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(policy=policy, deadline_seconds=5, **options) as fetcher:  # type: ignore[arg-type]
            return await fetcher.get(url)

    return asyncio.run(run())


def test_a_named_endpoint_is_reached_and_any_other_local_port_refused(
    server: LocalServer, internal: LocalServer
) -> None:
    feed = server.route("/feed.xml", rss("Flux", []))
    policy = NetworkPolicy.for_urls([feed])
    assert _fetch(feed, policy).status == 200
    with pytest.raises(RefusedAddress) as refused:
        _fetch(internal.url("/secret"), policy)
    assert "réseau interne refusé" in str(refused.value)
    assert f"port {_port(internal)}" in str(refused.value)
    assert ALLOW_ENV_VAR in str(refused.value)
    with pytest.raises(RefusedAddress):  # a name that resolves to the loopback
        _fetch(f"http://localhost:{_port(internal)}/secret", policy)
    with pytest.raises(RefusedAddress):  # nothing named at all: the default policy
        _fetch(feed, NetworkPolicy())
    assert _internal_requests(internal) == 0


def test_the_certificates_are_read_once_however_many_fetch_sessions(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each cycle opens a fetch session; reading the CA bundle for each (twice, before) cost 50 ms of CPU a cycle."""
    reads: list[object] = []
    read_certificates = ssl.SSLContext.load_verify_locations

    def counted(context: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        reads.append(args or kwargs)
        read_certificates(context, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    tls_context.cache_clear()  # as in a process that has fetched nothing yet
    feed = server.route("/feed.xml", rss("Flux", []))
    policy = NetworkPolicy.for_urls([feed])
    assert [_fetch(feed, policy).status for _ in range(3)] == [200, 200, 200]
    assert len(reads) == 1


def test_every_redirect_hop_is_checked(server: LocalServer, internal: LocalServer) -> None:
    hop = server.route("/hop", Answer(b"", 302, {"Location": internal.url("/secret")}))
    first = server.route("/moved", Answer(b"", 301, {"Location": hop}))
    with pytest.raises(RefusedAddress) as refused:
        _fetch(first, NetworkPolicy.for_urls([first]))
    assert first in str(refused.value)
    assert server.hits["/moved"] == 1 and server.hits["/hop"] == 1
    assert _internal_requests(internal) == 0


def test_the_address_is_checked_after_resolution_and_connected_to_as_checked(
    server: LocalServer, internal: LocalServer
) -> None:
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]  # what a rebinding name answers once its first, public, answer has been checked

    with pytest.raises(RefusedAddress) as refused:
        _fetch(f"http://rebind.example:{_port(internal)}/secret", NetworkPolicy(), resolve=resolve)
    assert "rebind.example → 127.0.0.1" in str(refused.value)
    assert _internal_requests(internal) == 0
    # A named source's host may be internal: the socket goes to the address resolved (once), the Host header is kept.
    url = f"http://feed.example:{_port(server)}/feed.xml"
    server.route("/feed.xml", rss("Flux", []))
    lookups.clear()
    assert _fetch(url, NetworkPolicy.for_urls([url]), resolve=resolve).status == 200
    assert lookups == ["feed.example"]
    assert server.requests[-1][1]["Host"] == f"feed.example:{_port(server)}"


def test_the_environment_variable_allows_the_internal_network(
    monkeypatch: pytest.MonkeyPatch, internal: LocalServer
) -> None:
    monkeypatch.setenv(ALLOW_ENV_VAR, "1")
    assert _fetch(internal.url("/secret"), NetworkPolicy.for_urls([])).status == 200
    monkeypatch.setenv(ALLOW_ENV_VAR, "0")
    with pytest.raises(FetchError):
        _fetch(internal.url("/secret"), NetworkPolicy.for_urls([]))
    assert _internal_requests(internal) == 1


def _hostile_links(server: LocalServer, internal: LocalServer) -> list[str]:
    port = _port(internal)
    server.route("/redirige", Answer(b"", 302, {"Location": internal.url("/secret")}))
    return [
        internal.url("/secret?via=port"),
        f"http://localhost:{port}/secret?via=localhost",
        server.url("/redirige"),  # the feed's own server, which redirects to the internal port
    ]


def _collect(engine: Engine, config: Config) -> CycleReport:
    collector = Collector(engine, config)
    collector.sync_sources()
    return asyncio.run(collector.run_cycle([source.name for source in config.sources]))


def _hostile_feed(server: LocalServer, internal: LocalServer) -> list[str]:
    links = _hostile_links(server, internal)
    entries = [
        {
            "title": f"Hôpital : article piégé numéro {n}",
            "link": link,
            "description": f"Résumé du flux pour l'article {n}.",
            "published": NOW - timedelta(hours=n),
        }
        for n, link in enumerate(links)
    ]
    server.route("/hostile.xml", rss("Flux hostile", entries))
    return links


def test_a_hostile_full_text_feed_reaches_nothing_inside(
    engine: Engine, real_config: Config, server: LocalServer, internal: LocalServer
) -> None:
    links = _hostile_feed(server, internal)
    config = config_with_sources(
        real_config, {"name": "Flux hostile", "url": server.url("/hostile.xml"), "full_text": True}
    )
    report = _collect(engine, config)

    reached = _internal_requests(internal)
    print(f"\nrequêtes parvenues au serveur interne : {reached}")
    assert reached == 0
    assert server.hits["/redirige"] == 1  # the first hop is the named source's own server; the second is refused
    [source_report] = report.sources
    assert source_report.error is None and source_report.new == len(links)
    assert source_report.warning is not None and f"{len(links)} liens vers le réseau interne refusés" in (
        source_report.warning
    )
    with session_scope(engine) as session:
        items = session.exec(select(Item).order_by(Item.title)).all()
        assert [item.summary for item in items] == [f"Résumé du flux pour l'article {n}." for n in range(len(links))]
        assert all(item.content is None for item in items)
        assert all(b"mot de passe" not in (item.content or "").encode() for item in items)
        source = session.exec(select(Source)).one()
        assert source.last_warning == source_report.warning
        [row] = source_health_rows(session, NOW)
    health = assess(row, NOW, config.digest.zone)
    assert health.status == HealthStatus.OK and not health.broken
    assert "attention : 3 liens vers le réseau interne refusés" in health.verdict

    # The next fetch with content and nothing refused clears the warning.
    server.route("/hostile.xml", rss("Flux hostile", []))
    _collect(engine, config)
    with session_scope(engine) as session:
        assert session.exec(select(Source)).one().last_warning is None
    assert _internal_requests(internal) == 0


def test_the_same_feed_reaches_inside_when_the_environment_allows_it(
    monkeypatch: pytest.MonkeyPatch,
    sqlite_engine: Engine,
    real_config: Config,
    server: LocalServer,
    internal: LocalServer,
) -> None:
    # The control: the guard, not something else, is what kept the requests out above.
    monkeypatch.setenv(ALLOW_ENV_VAR, "1")
    _hostile_feed(server, internal)
    config = config_with_sources(
        real_config, {"name": "Flux hostile", "url": server.url("/hostile.xml"), "full_text": True}
    )
    _collect(sqlite_engine, config)
    assert internal.hits["/secret?via=port"] == 1
    assert internal.hits["/secret?via=localhost"] == 1
    assert internal.hits["/secret"] == 1  # through the redirect


def test_a_page_source_does_not_follow_its_links_inside(
    sqlite_engine: Engine, real_config: Config, server: LocalServer, internal: LocalServer
) -> None:
    server.route("/actualites/article-1", Answer(b"", 302, {"Location": internal.url("/secret")}))
    server.route("/actualites/article-2", Answer(b"", 302, {"Location": f"http://localhost:{_port(internal)}/secret"}))
    listing = (
        "<html><head><title>Actualités</title></head><body><main><h1>Actualités</h1><ul>"
        '<li><a href="/actualites/article-1">Premier article</a></li>'
        '<li><a href="/actualites/article-2">Second article</a></li>'
        "</ul></main></body></html>"
    ).encode()
    server.route("/actualites/", listing, headers={"Content-Type": "text/html; charset=utf-8"})
    config = config_with_sources(
        real_config, {"name": "Site sans flux", "kind": "page", "url": server.url("/actualites/")}
    )
    [report] = _collect(sqlite_engine, config).sources
    assert _internal_requests(internal) == 0
    assert report.error is None
    assert report.warning is not None and "2 liens vers le réseau interne refusés" in report.warning


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Abonnements</title></head><body>
  <outline type="rss" text="Boucle locale" xmlUrl="http://127.0.0.1:5432/feed"/>
  <outline type="rss" text="Nom local" xmlUrl="http://localhost:8080/feed"/>
  <outline type="rss" text="Metadonnees" xmlUrl="http://169.254.169.254/latest/meta-data/"/>
  <outline type="rss" text="CGNAT" xmlUrl="http://100.64.1.1/feed"/>
  <outline type="rss" text="NAT64" xmlUrl="http://[64:ff9b::a00:1]/feed"/>
  <outline type="rss" text="Blog public" xmlUrl="https://blog-patiente.example/feed"/>
</body></opml>
"""


def test_an_opml_import_brings_no_internal_address_into_sources_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW_ENV_VAR, raising=False)
    opml_path = tmp_path / "abonnements.opml"
    opml_path.write_bytes(OPML)
    config_path = _empty_config(tmp_path)

    report = import_opml(config_path, opml_path, day=NOW.date())

    assert [source.name for source in report.added] == ["Blog public"]
    skipped = dict(report.skipped)
    assert list(skipped) == ["Boucle locale", "Nom local", "Metadonnees", "CGNAT", "NAT64"]
    assert skipped["Nom local"].startswith("adresse du réseau interne (127.0.0.1")
    assert skipped["Metadonnees"].startswith("adresse du réseau interne (169.254.169.254)")
    assert all(ALLOW_ENV_VAR in why for why in skipped.values())
    assert [source.name for source in load_config(config_path).sources] == ["Blog public"]

    monkeypatch.setenv(ALLOW_ENV_VAR, "1")
    again = import_opml(config_path, opml_path, day=NOW.date())
    assert len(again.added) == 5


def test_a_decoded_google_news_link_is_guarded_like_any_other(
    sqlite_engine: Engine, real_config: Config, server: LocalServer, internal: LocalServer
) -> None:
    inside = internal.url("/secret")
    server.route(
        "/gnews.xml",
        rss(
            "Google Actualités",
            [{"title": "Hôpital - Le Monde", "link": google_link(inside.encode()), "published": NOW}],
        ),
    )
    config = config_with_sources(
        real_config, {"name": "Google Actualités", "url": server.url("/gnews.xml"), "full_text": True}
    )
    [report] = _collect(sqlite_engine, config).sources
    assert _internal_requests(internal) == 0
    assert report.new == 1 and report.warning is not None and inside in report.warning
