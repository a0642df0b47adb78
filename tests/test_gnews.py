"""Google News items keep the publisher's URL where the link carries it, and so dedupe against the outlet's feed.

The ids are built here the way Google builds them (URL-safe base64 of a small protocol buffer,
without padding): `CBMi…` ids carry the URL; newer `AU_yqL…` tokens need Google and are kept as they are.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Item
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.gnews import publisher_url
from watcher.normalize import normalize
from watcher.parse.feed import RawEntry
from watcher.pipeline import Collector

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ARTICLE = (
    "https://www.lemonde.fr/sante/article/2026/11/30/hopital-les-urgences-de-nuit-fermees-a-lyon_6612345_1651302.html"
)


def _varint(value: int) -> bytes:
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def google_id(payload: bytes, amp: bytes | None = b"") -> str:
    """An article id as Google News writes it: type 19, the payload in field 4, the AMP URL in field 26."""
    message = b"\x08\x13" + _field(4, payload) + (_field(26, amp) if amp is not None else b"")
    return base64.urlsafe_b64encode(message).decode().rstrip("=")


def google_link(payload: bytes, path: str = "/rss/articles/", **kwargs: bytes | None) -> str:
    return f"https://news.google.com{path}{google_id(payload, **kwargs)}?oc=5"


@pytest.mark.parametrize("path", ["/rss/articles/", "/articles/", "/__i/rss/rd/articles/", "/read/"])
def test_the_publisher_url_is_read_from_an_old_style_id(path: str) -> None:
    link = google_link(ARTICLE.encode(), path)
    assert link.startswith(f"https://news.google.com{path}CBMi")  # what such links look like
    assert publisher_url(link) == ARTICLE


def test_the_amp_field_and_a_short_url_are_read_too() -> None:
    amp = b"https://www.lemonde.fr/sante/article/2026/11/30/hopital_6612345_1651302.amp.html"
    assert publisher_url(google_link(ARTICLE.encode(), amp=amp)) == ARTICLE
    assert publisher_url(google_link(b"https://rtbf.be/a", amp=None)) == "https://rtbf.be/a"


@pytest.mark.parametrize(
    "link",
    [
        # The newer ids: an opaque token that only Google can turn into the URL.
        google_link(b"AU_yqLPqGhdBmc2v8x4SLvrNs7Ye-Y3jbBUXv0VWE1vDhBqE1Gn1h2eRBoUUGUmWkM5qR0Tq3RS6hS0RkkBTKfb3w"),
        google_link(b"AU_yqLOiGkhqOj0Bw7n4X3zR4XUpQ0bp0a5c", amp=None),
        # A URL declared longer than what follows (a truncated id), and bytes that are no message at all.
        "https://news.google.com/rss/articles/CBMiWmh0dHBzOi8vd3d3LmxlbW9uZGUuZnIv?oc=5",
        "https://news.google.com/rss/articles/not-base64-at-all!?oc=5",
        "https://news.google.com/rss/articles/" + base64.urlsafe_b64encode(b"\x08\x13\x07junk").decode() + "?oc=5",
        # Not an article link, or not Google News.
        "https://news.google.com/rss/search?q=hopital&hl=fr",
        "https://example.test/rss/articles/" + google_id(ARTICLE.encode()),
        google_link(b"javascript:alert(1)"),
        google_link(b"https://news.google.com/rss/articles/CBMiXX"),
    ],
)
def test_links_without_a_readable_url_are_kept(link: str) -> None:
    assert publisher_url(link) is None
    entry = RawEntry(guid="g", link=link, title="Hôpital - Le Monde", publisher="Le Monde", summary_html="")
    item = normalize(entry, "google-news", NOW)
    if link.startswith("https://news.google.com/"):
        assert item is not None and item.url.startswith("https://news.google.com/")


def test_a_google_news_item_keeps_its_publisher_and_takes_the_outlet_url() -> None:
    entry = RawEntry(
        guid=google_id(ARTICLE.encode()),
        link=google_link(ARTICLE.encode() + b"?utm_source=google"),
        title="Hôpital : les urgences de nuit fermées à Lyon - Le Monde",
        publisher="Le Monde",
        summary_html="<ol><li>Autres articles</li></ol>",
        published=NOW,
    )
    item = normalize(entry, "Google Actualités", NOW)
    assert item is not None
    assert item.url == ARTICLE  # tracking parameters go, as for any link
    assert item.publisher == "Le Monde" and item.title == "Hôpital : les urgences de nuit fermées à Lyon"
    assert item.summary == ""


def test_the_google_news_item_is_the_outlet_article_once(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    title = "Hôpital : les urgences de nuit fermées à Lyon"
    server.route(
        "/lemonde.xml",
        rss("Le Monde", [{"title": title, "link": ARTICLE, "description": "Les urgences ferment.", "published": NOW}]),
    )
    newer = google_link(b"AU_yqLOiGkhqOj0Bw7n4X3zR4XUpQ0bp0a5c")
    server.route(
        "/gnews.xml",
        rss(
            "Google Actualités",
            [
                {"title": f"{title} - Le Monde", "link": google_link(ARTICLE.encode()), "published": NOW},
                {"title": "Grève à l'hôpital de Brest - Ouest-France", "link": newer, "published": NOW},
            ],
        ),
    )
    config = config_with_sources(
        real_config,
        {"name": "Le Monde", "url": server.url("/lemonde.xml")},
        {"name": "Google Actualités", "url": server.url("/gnews.xml"), "category": "agregateur"},
    )
    collector = Collector(engine, config)
    collector.sync_sources()
    asyncio.run(collector.run_cycle(["Le Monde"]))
    report = asyncio.run(collector.run_cycle(["Google Actualités"]))
    assert report.new == 1  # only the item whose link cannot be read offline
    with session_scope(engine) as session:
        urls = sorted(session.exec(select(Item.url)).all())
    assert urls == sorted([ARTICLE, newer])
