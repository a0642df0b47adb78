"""The first digest: window, sections, one entry per story, escaping of hostile feed text."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from alerts.digest import build_digest, digest_window, french_date, render
from store.db import session_scope
from tests.clock import NOW, frozen
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.pipeline import Collector

PARIS = ZoneInfo("Europe/Paris")
LEAD = ("L'intersyndicale des médecins libéraux appelle à fermer les cabinets une semaine pour protester contre "
        "le budget de la Sécurité sociale, ont annoncé les syndicats mardi.")  # fmt: skip


def test_window_is_yesterday_to_today_at_digest_time_in_paris() -> None:
    start, end = digest_window(date(2026, 3, 29), time(7, 30), PARIS)  # summer time starts that night
    assert end == datetime(2026, 3, 29, 7, 30, tzinfo=PARIS)
    assert start == datetime(2026, 3, 28, 7, 30, tzinfo=PARIS)
    assert end.astimezone(UTC).hour == 5 and start.astimezone(UTC).hour == 6
    assert french_date(date(2026, 11, 23)) == "lundi 23 novembre 2026"


def test_digest_groups_stories_and_escapes_feed_text(engine: Engine, real_config: Config, server: LocalServer) -> None:
    hostile = "<script>alert(1)</script> Grève des internes *urgent* [clic](https://evil.test) <b>hôpitaux</b>"
    server.route("/a.xml", rss("A", [
        {"title": "Grève des médecins libéraux : les cabinets fermés", "link": "https://a.test/1", "description": LEAD,
         "published": NOW - timedelta(hours=1)},
        {"title": "Ligue 1 : Lorient gagne", "link": "https://a.test/2", "published": NOW},
        {"title": hostile, "link": "https://a.test/3", "published": NOW,
         "description": "Les internes des hôpitaux <img src='https://evil.test/pixel.gif'> appellent à la grève."},
    ]))  # fmt: skip
    server.route("/b.xml", rss("B", [
        {"title": "Grève des médecins libéraux : cabinets fermés une semaine", "link": "https://b.test/1",
         "description": LEAD, "published": NOW},
        {"title": "Le collectif Action Patients alerte sur les urgences de Laval fermées la nuit",
         "link": "https://b.test/2", "description": "Faute de médecins, l'hôpital ferme ses urgences.",
         "published": NOW},
    ]))  # fmt: skip
    config = config_with_sources(
        real_config,
        {"name": "Presse A", "url": server.url("/a.xml")},
        {"name": "Presse B", "url": server.url("/b.xml")},
    )
    collector = Collector(engine, config, clock=frozen())
    collector.sync_sources()
    asyncio.run(collector.run_cycle(["Presse A", "Presse B"]))

    labels = {key: topic.label for key, topic in config.topics.items()}
    with session_scope(engine) as session:
        digest = build_digest(session, NOW - timedelta(hours=1), NOW + timedelta(minutes=5), labels, PARIS)
    # Three stories fit in « À lire »: the mention of the collective first, then the strikes; nothing is left for
    # « Aussi ».
    assert [entry.section for entry in digest.top] == ["mention", "greve", "greve"] and digest.sections == []
    strike = {entry.url: entry for entry in digest.top if entry.section == "greve"}
    assert len(strike) == 2
    wire = next(entry for entry in strike.values() if entry.item_count == 2)
    assert sorted(wire.outlets) == ["Presse A", "Presse B"]
    assert digest.counts.collected == 5 and digest.counts.duplicates_merged == 1 and digest.counts.filtered_out == 1

    html = render(digest, "html")
    assert "<script>" not in html and "&lt;script&gt;" not in html  # sanitised at normalisation, escaped anyway
    assert "<b>libéraux</b>" not in html
    assert "On parle de nous" in html.split("Grèves en santé")[0] and "À lire" in html
    assert "src=" not in html and "<img" not in html  # no remote images
    markdown = render(digest, "md")
    assert "\\*urgent\\*" in markdown and "\\[clic\\]" in markdown
    assert "2 médias : Presse A, Presse B" in markdown or "2 médias : Presse B, Presse A" in markdown
    assert "1 doublon regroupé · 1 écarté comme hors sujet" in markdown
