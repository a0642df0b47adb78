"""A few stored, scored items for the desk tests, collected by the real pipeline from a local feed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from store.db import make_engine, session_scope
from store.models import Item
from tests.clock import AT_NOW, NOW, frozen
from tests.conftest import REPO_ROOT, config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.cli import app
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


def collect_by_cli(
    tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch, **settings: object
) -> dict[str, int]:
    """The desk's items collected by `watcher collect` as a user runs it, with the real sources.yaml's themes and
    these other `settings` (top-level sections of sources.yaml); their ids by address."""
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [{"name": "Presse du bureau", "url": server.url("/desk.xml"), "topics": ["hopital"]}]
    data |= settings
    config = tmp_path / "sources.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'veille.db'}")
    monkeypatch.setenv("USER", "magali")
    # Tables on one line per row; an env var, because setting console.width would outlive the test.
    monkeypatch.setenv("COLUMNS", "250")
    server.route("/desk.xml", rss("Presse du bureau", list(ENTRIES)))
    assert CliRunner().invoke(app, [*AT_NOW, "collect"]).exit_code == 0
    with session_scope(make_engine()) as session:
        return {item.url: item.id or 0 for item in session.exec(select(Item)).all()}
