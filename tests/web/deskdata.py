"""A desk database for the web tests: a feed collected by the real pipeline, shown at a fixed time, and accounts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import select

from store.db import session_scope
from store.models import Item, PressMention, Score, Source
from tests import deskdata as shared
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.pipeline import Collector
from watcher.search import catch_up
from watcher.web import accounts

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the desk's clock in every web test
COLLECTED = NOW - timedelta(hours=2)
PASSWORD = "correct horse battery"
HOSTILE_TITLE = "Urgences &lt;script&gt;alert('titre')&lt;/script&gt;&lt;img src=x onerror=alert('img')&gt; à Laval"


def _shown_here(item: dict[str, object], link: str, hours_before: int) -> dict[str, object]:
    """An item of tests/deskdata.py (same title and lead) at another address, dated against the desk's clock."""
    return {**item, "link": link, "published": NOW - timedelta(hours=hours_before)}


LAVAL = _shown_here(shared.LAVAL, "https://presse-bureau.test/laval-urgences", 5)
LAVAL_AGAIN = {
    "title": "Urgences de Laval fermées la nuit faute de médecins urgentistes",
    "link": "https://autre-journal.test/laval",
    "description": "Le service des urgences de l'hôpital de Laval fermera la nuit faute de médecins urgentistes, "
    "selon l'ARS. Les patients devront appeler le 15.",
    "published": NOW - timedelta(hours=4),
}
MENTION = _shown_here(shared.MENTION, "https://presse-bureau.test/action-patients-deserts", 4)
HOSPITALS = _shown_here(shared.HOSPITALS, "https://presse-bureau.test/hopitaux-bretons", 3)
HOSTILE = {
    "title": HOSTILE_TITLE,
    "link": "https://hostile.test/urgences",
    "description": "Fermeture des urgences de l'hôpital. &lt;a href=\"javascript:alert('lien')\"&gt;ici&lt;/a&gt;",
    "published": NOW - timedelta(hours=2),
}


@dataclass
class DeskData:
    config: Config
    ids: dict[str, int]  # item id by link
    hostile_link_id: int  # an item whose address is a `javascript:` link, written past the collector


def build(engine: Engine, real_config: Config, server: LocalServer) -> DeskData:
    server.route("/bureau.xml", rss("Presse du bureau", [LAVAL, MENTION, HOSPITALS, HOSTILE]))
    server.route("/autre.xml", rss("Autre journal", [LAVAL_AGAIN]))
    config = config_with_sources(
        real_config,
        {"name": "Presse du bureau", "url": server.url("/bureau.xml"), "topics": ["hopital"]},
        {"name": "Autre journal", "url": server.url("/autre.xml"), "topics": ["hopital"]},
    )
    collector = Collector(engine, config)
    collector.sync_sources()
    asyncio.run(collector.run_cycle())
    catch_up(engine)
    with session_scope(engine) as session:
        # The collector stamps the wall clock; the desk is shown a fixed day, so the items are moved onto it.
        session.exec(update(Item).values(collected_at=COLLECTED))  # type: ignore[call-overload]
        ids = {item.url: item.id or 0 for item in session.exec(select(Item)).all()}
        source = session.exec(select(Source).where(Source.name == "Presse du bureau")).one()
        # The collector drops an item whose address is not a web address; the desk must not count on it.
        hostile_link = Item(
            source_id=source.id or 0,
            guid="hostile-link",
            url="javascript:alert('adresse')",
            title="Urgences : un lien piégé",
            summary="Fermeture des urgences.",
            published_at=NOW - timedelta(hours=1),
            collected_at=COLLECTED,
            title_date_key="hostile-link",
            content_hash="hostile-link",
        )
        session.add(hostile_link)
        session.flush()
        session.add(
            Score(
                item_id=hostile_link.id or 0,
                score=60,
                decision="digest",
                topics=["hopital"],
                why=["hopital : « urgences » +45"],
                scored_at=COLLECTED,
                summary="urgences",
            )
        )
        for role in ("lecture", "coordination", "admin"):
            accounts.add(session, role, role, PASSWORD, NOW - timedelta(days=1))
        mentions = session.exec(select(PressMention)).all()
        assert [m.url for m in mentions] == [MENTION["link"]], "the collector registers the mention, à valider"
        hostile_id = hostile_link.id or 0
    return DeskData(
        config,
        {str(entry["link"]): ids[str(entry["link"])] for entry in (LAVAL, LAVAL_AGAIN, MENTION, HOSPITALS, HOSTILE)},
        hostile_id,
    )
