"""An archive for the what-if tests: a feed collected by the real pipeline at injected times, and the configurations
to compare, written as sources.yaml files as a person would write them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Item
from tests.clock import NOW, frozen
from tests.conftest import REPO_ROOT
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config, load_config
from watcher.pipeline import Collector

COLLECTED = NOW - timedelta(days=1)
LONG_AGO = NOW - timedelta(days=40)  # outside a 30-day window

# No theme of sources.yaml speaks of physiotherapists: dropped today; the other configuration adds the word.
KINE_TITLE = {
    "title": "Les kinésithérapeutes réclament une revalorisation de leurs actes",
    "link": "https://presse.test/kine-titre",
    "description": "Les syndicats de la profession demandent une hausse des tarifs.",
    "published": COLLECTED - timedelta(hours=3),
}
KINE_LEAD = {
    "title": "Tarifs : une profession de santé monte au créneau",
    "link": "https://presse.test/kine-chapo",
    "description": "Les kinésithérapeutes demandent une hausse des tarifs.",
    "published": COLLECTED - timedelta(hours=2),
}
# Kept today by « CHU » and « pédiatrie »; the other configuration excludes « service de pédiatrie », which
# leaves « CHU » alone, a single clue below the theme's corroboration: dropped.
PEDIATRICS = {
    "title": "Le CHU de Rennes ouvre un nouveau service de pédiatrie",
    "link": "https://presse.test/chu-pediatrie",
    "description": "Les travaux ont duré deux ans.",
    "published": COLLECTED - timedelta(hours=4),
}
# An alert by the « fermeture annoncée » rule under both configurations.
LAVAL = {
    "title": "Laval : les urgences fermées la nuit faute de médecins",
    "link": "https://presse.test/laval-urgences",
    "description": "Le service des urgences de l'hôpital de Laval fermera la nuit, faute de médecins "
    "urgentistes, a annoncé l'ARS.",
    "published": COLLECTED - timedelta(hours=1),
}
# The collective named: an alert that no budget holds back.
MENTION = {
    "title": "Déserts médicaux : le collectif Action Patients interpelle le gouvernement",
    "link": "https://presse.test/action-patients",
    "description": "« Nous demandons un plan pour l'hôpital », déclare Danielle Vacher, présidente du "
    "collectif Action Patients.",
    "published": COLLECTED - timedelta(minutes=30),
}
OLD_KINE = {
    "title": "Il y a longtemps, les kinésithérapeutes manifestaient déjà",
    "link": "https://presse.test/kine-ancien",
    "description": "Les kinésithérapeutes défilaient à Paris.",
    "published": LONG_AGO - timedelta(hours=1),
}
RECENT = [KINE_TITLE, KINE_LEAD, PEDIATRICS, LAVAL, MENTION]


@dataclass
class Archive:
    running: Path  # the configuration in service
    ids: dict[str, int]  # item id by link


def config_data(server: LocalServer) -> dict[str, Any]:
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [{"name": "Presse", "url": server.url("/presse.xml")}]
    return data


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def other_topic_data(server: LocalServer) -> dict[str, Any]:
    """The configuration a person would try: one term added to « hopital », one exclusion added."""
    data = config_data(server)
    data["topics"]["hopital"]["terms"]["kinésithérapeutes"] = 60
    data["topics"]["hopital"]["exclude"].append("service de pédiatrie")
    return data


def build(engine: Engine, folder: Path, server: LocalServer) -> Archive:
    running = write_config(folder / "sources.yaml", config_data(server))
    config: Config = load_config(running)
    # Collected at two moments: forty days ago, and yesterday.
    for moment, entries in ((LONG_AGO, [OLD_KINE]), (COLLECTED, RECENT)):
        server.route("/presse.xml", rss("Presse", entries))
        collector = Collector(engine, config, clock=frozen(moment))
        collector.sync_sources()
        asyncio.run(collector.run_cycle(["Presse"]))
    with session_scope(engine) as session:
        ids = {item.url: item.id or 0 for item in session.exec(select(Item)).all()}
    return Archive(running, ids)


def collected_at(engine: Engine) -> dict[str, datetime]:
    with session_scope(engine) as session:
        return {item.url: item.collected_at for item in session.exec(select(Item)).all()}
