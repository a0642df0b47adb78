"""The daily alert budget: past it, items wait for the digest; a mention of the collective never waits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Delivery, Item, Score
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.pipeline import Collector

PUBLISHED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

# Five items that each need action today (a closure, a strike called, an AME vote…), then the collective.
URGENT = [
    ("Laval : les urgences fermées la nuit faute de médecins", "L'hôpital ferme ses urgences la nuit."),
    ("Médecins libéraux : un préavis de grève déposé pour le 12 janvier", "Les cabinets fermeront une semaine."),
    ("Le Sénat vote la suppression de l'AME", "L'aide médicale d'État serait remplacée par une aide d'urgence."),
    ("Vierzon : la maternité fermera ses portes en mars", "Faute de pédiatres, l'hôpital ferme sa maternité."),
    (
        "Kinésithérapeutes hospitaliers : appel à la grève jeudi",
        "Les soignants des hôpitaux de Lyon appellent à la grève.",
    ),
]
MENTION = (
    "Budget de la Sécu : le collectif Action Patients interpelle la ministre",
    "Les 18 associations du collectif demandent une hausse de l'Ondam hospitalier.",
)


def _entries(pairs: list[tuple[str, str]], prefix: str) -> list[dict[str, object]]:
    return [
        {
            "title": title,
            "link": f"https://presse.test/{prefix}/{n}",
            "description": lead,
            "published": PUBLISHED - timedelta(minutes=n),
        }
        for n, (title, lead) in enumerate(pairs)
    ]


def _budgeted(real_config: Config, server: LocalServer, budget: int) -> Config:
    config = config_with_sources(real_config, {"name": "Presse", "url": server.url("/feed.xml")})
    return config.model_copy(update={"alerts": config.alerts.model_copy(update={"daily_budget": budget})})


def _decisions(engine: Engine) -> dict[str, tuple[str, list[str]]]:
    with session_scope(engine) as session:
        rows = session.exec(select(Item.title, Score.decision, Score.why).join(Score)).all()
        return {title: (decision, why) for title, decision, why in rows}


def test_past_the_budget_items_wait_for_the_digest_but_the_collective_never_waits(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    config = _budgeted(real_config, server, budget=2)
    server.route("/feed.xml", rss("Presse", _entries([*URGENT, MENTION], "a")))
    collector = Collector(engine, config)
    collector.sync_sources()
    asyncio.run(collector.run_cycle(["Presse"]))

    decisions = _decisions(engine)
    alerted = [title for title, _ in URGENT if decisions[title][0] == "alert"]
    held = [title for title, _ in URGENT if decisions[title][0] == "digest"]
    assert alerted == [URGENT[0][0], URGENT[1][0]], decisions  # the budget goes in feed order
    assert len(held) == 3
    for title in held:
        assert "au-delà du quota d'alertes (2 par jour) → synthèse" in decisions[title][1]
    with session_scope(engine) as session:
        summaries = dict(session.exec(select(Item.title, Score.summary).join(Score)).all())
    # In words, for the digest: why it would have alerted, and why it waits.
    assert summaries[URGENT[2][0]].startswith("décision sur l'AME (« vote »), au-delà du quota d'alertes du jour")
    assert decisions[MENTION[0]][0] == "alert"
    with session_scope(engine) as session:
        alerted_stories = set(session.exec(select(Delivery.story_id).where(Delivery.kind == "alert")).all())
    assert len(alerted_stories) == 3  # two within the budget, and the collective beyond it


def test_the_budget_counts_what_the_day_already_alerted(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    config = _budgeted(real_config, server, budget=2)
    server.route("/feed.xml", rss("Presse", _entries(URGENT[:2], "a")))
    collector = Collector(engine, config)
    collector.sync_sources()
    asyncio.run(collector.run_cycle(["Presse"]))
    # Later the same day, in another cycle: the budget is spent.
    server.route("/feed.xml", rss("Presse", _entries(URGENT[2:3], "b")))
    asyncio.run(collector.run_cycle(["Presse"]))
    decisions = _decisions(engine)
    assert [decisions[title][0] for title, _ in URGENT[:3]] == ["alert", "alert", "digest"]
