"""The recall audit: what the collection records for it."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Item, Sighting, Source
from tests.conftest import config_with_sources
from tests.coveragedata import FESTIVAL, STRIKE, STRIKE_URL
from tests.feeds import rss
from tests.localserver import LocalServer
from tests.test_gnews import google_link
from watcher.config import Config
from watcher.pipeline import Collector

# --- what the collection records ------------------------------------------------------------------------------------


def test_an_outlet_feed_listing_the_article_a_search_stored_leaves_a_sighting(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    search = {
        "title": f"{STRIKE['title']} - Presse B",
        "link": google_link(STRIKE_URL.encode()),
        "published": STRIKE["published"],
        "source": ("Presse B", "https://www.presse-b.example"),
    }
    server.route("/gnews.xml", rss("Google Actualités", [search]))
    server.route("/b.xml", rss("Presse B", [STRIKE]))
    config = config_with_sources(
        real_config,
        {"name": "Google Actualités", "url": server.url("/gnews.xml"), "category": "agregateur"},
        {"name": "Presse B", "url": server.url("/b.xml")},
    )
    collector = Collector(engine, config)
    collector.sync_sources()
    asyncio.run(collector.run_cycle(["Google Actualités"]))
    assert asyncio.run(collector.run_cycle(["Presse B"])).new == 0  # the article is stored once

    def state() -> tuple[Item, list[tuple[int, str, datetime]]]:
        with session_scope(engine) as session:
            item = session.exec(select(Item).where(Item.url == STRIKE_URL)).one()
            sightings = session.exec(
                select(Sighting.item_id, Source.name, Sighting.seen_at).join(Source).order_by(Source.name)
            ).all()
        return item, [tuple(row) for row in sightings]  # type: ignore[misc]

    item, sightings = state()
    assert (item.url, item.publisher, item.publisher_site) == (STRIKE_URL, "Presse B", "https://www.presse-b.example")
    assert [(item_id, name) for item_id, name, _ in sightings] == [(item.id, "Presse B")]
    assert sightings[0][2] >= item.collected_at

    # Both feeds change and list it again: the first sighting stays, and the search is not a sighting of its own item.
    server.route("/gnews.xml", rss("Google Actualités", [search, {**FESTIVAL, "link": google_link(b"AU_yqLxyz")}]))
    server.route("/b.xml", rss("Presse B", [STRIKE, FESTIVAL]))
    asyncio.run(collector.run_cycle(["Presse B", "Google Actualités"]))
    assert state()[1] == sightings
