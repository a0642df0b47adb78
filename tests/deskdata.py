"""A few stored, scored items for the desk tests, collected by the real pipeline from a local feed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Item
from tests.clock import NOW, frozen
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.pipeline import Collector
from watcher.search import catch_up

LAVAL = {
    "title": "Laval : les urgences fermées la nuit faute de médecins",
    "link": "https://presse-desk.test/laval-urgences",
    "description": "Le service des urgences de l'hôpital de Laval fermera la nuit, faute de médecins "
    "urgentistes, a annoncé l'ARS. Les patients devront appeler le 15.",
    "published": NOW - timedelta(hours=5),
}
MENTION = {
    "title": "Déserts médicaux : le collectif Action Patients interpelle le gouvernement",
    "link": "https://presse-desk.test/action-patients-deserts",
    "description": "Les associations de malades chroniques s'inquiètent des fermetures de services. "
    "« Nous demandons un plan d'urgence pour l'hôpital », déclare Danielle Vacher, présidente du "
    "collectif Action Patients. Le ministère n'a pas répondu.",
    "published": NOW - timedelta(hours=4),
}
HOSPITALS = {
    "title": "Les hôpitaux bretons manquent de soignants",
    "link": "https://presse-desk.test/hopitaux-bretons",
    "description": "Fermetures de lits et urgences saturées : les hôpitaux de Bretagne cherchent des infirmiers.",
    "published": NOW - timedelta(hours=3),
}
NOISE = {
    "title": "Fête de la châtaigne à Mayenne",
    "link": "https://presse-desk.test/chataigne",
    "description": "Le marché d'automne attend 5 000 visiteurs.",
    "published": NOW - timedelta(hours=2),
}
ENTRIES = (LAVAL, MENTION, HOSPITALS, NOISE)


def collect(engine: Engine, real_config: Config, server: LocalServer) -> tuple[Config, dict[str, int]]:
    """Collect the feed into the database; returns the config and the item id of each entry's link."""
    server.route("/desk.xml", rss("Presse du bureau", list(ENTRIES)))
    config = config_with_sources(
        real_config, {"name": "Presse du bureau", "url": server.url("/desk.xml"), "topics": ["hopital"]}
    )
    collector = Collector(engine, config, clock=frozen())
    collector.sync_sources()
    asyncio.run(collector.run_cycle(["Presse du bureau"]))
    catch_up(engine)  # as the service does after a cycle: a search only reads the index
    with session_scope(engine) as session:
        ids = {item.url: item.id or 0 for item in session.exec(select(Item)).all()}
    return config, {str(entry["link"]): ids[str(entry["link"])] for entry in ENTRIES}
