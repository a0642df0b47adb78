"""The recall audit: sightings recorded by the collection, `watcher sources coverage`, and its judgement."""

from __future__ import annotations

import asyncio
import html
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from alerts.digest import CoverageSection, render, slack_parts
from store.coverage import StorySighting, story_sightings
from store.db import session_scope
from store.models import Item, Sighting, Source
from tests.conftest import config_with_sources
from tests.coveragedata import FESTIVAL, NOW, SEARCH, STRIKE, STRIKE_URL, play_week
from tests.feeds import rss
from tests.localserver import LocalServer
from tests.test_gnews import google_link
from watcher.cli import app
from watcher.config import Config
from watcher.coverage import Catalogue, Late, LateSource, Outlet, OutletToAdd, coverage_report, site_host
from watcher.coverage import render as render_coverage
from watcher.digest_job import produce_digest
from watcher.pipeline import Collector

WEEK = timedelta(days=7)
runner = CliRunner()


def _database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


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


# --- the audit of a week played by local servers --------------------------------------------------------------------


def test_the_audit_of_a_week_names_the_outlet_to_add_and_the_late_feed(
    engine: Engine, tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = play_week(engine, tmp_path, server)
    with session_scope(engine) as session:
        report = coverage_report(config, story_sightings(session, NOW - WEEK, NOW), NOW - WEEK, NOW)

    seen = {story.title: [(s.source, s.delay) for s in story.seen] for story in report.stories}
    carhaix, strike, lannion, festival, morlaix = report.stories
    assert seen[carhaix.title] == [("Presse A — Bretagne", timedelta(0)), (SEARCH, timedelta(minutes=20))]
    assert seen[strike.title] == [(SEARCH, timedelta(0)), ("Presse B", timedelta(hours=7, minutes=10))]
    assert seen[festival.title] == [("Presse B", timedelta(0))] and not festival.comparable
    assert strike.late == [Late("Presse B", SEARCH, timedelta(hours=7, minutes=10))]
    assert carhaix.late == [] and not carhaix.only_aggregated
    assert report.only_aggregated == [lannion, morlaix]
    assert lannion.outlets == [Outlet("Le Courrier du Trégor", "courrier-tregor.example")]
    assert morlaix.outlets == [] and morlaix.seen[0].social
    # The search listed Presse A's own article, stored first from Presse A's feed: its site tells the outlet.
    assert carhaix.outlets == [Outlet(None, "presse-a.example", "Presse A — Bretagne")]
    assert report.outlets_to_add == [OutletToAdd(Outlet("Le Courrier du Trégor", "courrier-tregor.example"), 1)]
    assert report.late_sources == [LateSource("Presse B", 1, timedelta(hours=7, minutes=10))]

    monkeypatch.setenv("WATCHER_DATABASE_URL", _database_url(engine))
    result = runner.invoke(
        app, ["--config", str(tmp_path / "sources.yaml"), "sources", "coverage", "--now", NOW.isoformat()]
    )
    assert result.exit_code == 0, result.output
    output = result.output
    assert "5 récits, dont 2 vus seulement par un agrégateur et 1 livré en retard par un\n  flux direct." in output
    assert "   +7 h 10 min  Presse B — en retard\n" in output
    assert "       +20 min  Google Actualités — « urgences » (agrégateur)\n" in output
    assert "Non listés : 1 récit vu par un seul flux direct." in output
    assert "  publié par Le Courrier du Trégor (courrier-tregor.example) : absent de\n    sources.yaml" in output
    assert "  Presse B : 7 h 10 min après Google Actualités — « urgences »" in output
    summary = output[output.index("Bilan") :]
    assert summary == (
        "Bilan\n"
        "Médias à ajouter :\n"
        "  - Le Courrier du Trégor (courrier-tregor.example) : 1 récit vu seulement par\n"
        "    un agrégateur\n"
        "Sources en retard :\n"
        "  - Presse B : 1 récit livré plus de 6 h après un agrégateur, jusqu'à 7 h 10 min\n"
    )
    assert max(len(line) for line in output.splitlines()) <= 80

    # The day before the strike article came: Presse B is not late yet; two days on, --days 1 leaves the week out.
    early = runner.invoke(
        app,
        ["--config", str(tmp_path / "sources.yaml"), "sources", "coverage", "--now", "2027-03-08T12:00:00+01:00"],
    )
    assert "Sources en retard :\n  aucune\n" in early.output and "Le Courrier du Trégor" in early.output
    replayed = runner.invoke(  # the global `watcher --now`, not the wall clock, when the command's own is not given
        app, ["--config", str(tmp_path / "sources.yaml"), "--now", "2027-03-08T12:00", "sources", "coverage"]
    )
    assert replayed.output == early.output
    later = runner.invoke(
        app,
        ["--config", str(tmp_path / "sources.yaml"), "sources", "coverage", "--days", "1", "--now", "2027-03-11"],
    )
    assert "0 récit, dont 0 vu seulement par un agrégateur" in later.output
    assert "Médias à ajouter :\n  aucun\n" in later.output


def test_coverage_reports_a_missing_or_old_database_and_a_bad_moment(
    tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.coveragedata import write_config

    config = str(write_config(tmp_path, server))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'absente.db'}")
    result = runner.invoke(app, ["--config", config, "sources", "coverage"])
    assert result.exit_code == 1 and "base introuvable" in result.output
    assert not (tmp_path / "absente.db").exists()
    result = runner.invoke(app, ["--config", config, "sources", "coverage", "--now", "lundi"])
    assert result.exit_code == 2 and "moment invalide « lundi »" in result.output


# --- the judgement, on rows written here ------------------------------------------------------------------------------

MONDAY = datetime(2027, 3, 8, 7, 0, tzinfo=UTC)


def _row(story: int, item: int, source: str, minutes: int, url: str, **outlet: str) -> StorySighting:
    return StorySighting(
        story_id=story,
        story_title=f"récit {story}",
        item_id=item,
        source=source,
        source_url="https://news.google.com/rss/search?q=h%C3%B4pital" if source == "Google" else url,
        seen_at=MONDAY + timedelta(minutes=minutes),
        url=url,
        publisher=outlet.get("publisher"),
        publisher_site=outlet.get("site"),
    )


def _config(real_config: Config, *sources: dict[str, object]) -> Config:
    google = {"name": "Google", "url": "https://news.google.com/rss/search?q=h%C3%B4pital", "category": "agregateur"}
    return config_with_sources(real_config, google, *sources)


def test_outlets_are_found_by_name_and_by_site(real_config: Config) -> None:
    config = _config(
        real_config,
        {"name": "Le Monde — Santé", "url": "https://www.lemonde.fr/sante/rss_full.xml"},
        {"name": "Ouest-France", "url": "https://rss.ouest-france.fr/bretagne.xml"},
        {"name": "Le Monde diplomatique", "url": "https://feeds.example.net/mondediplo"},
        {
            "name": "Google Actualités — Hospimedia",
            "url": "https://news.google.com/rss/search?q=site%3Ahospimedia.fr%20(urgences%20OR%20h%C3%B4pital)&hl=fr",
            "category": "agregateur",
        },
    )
    catalogue = Catalogue(config)
    assert catalogue.outlet("Le Monde", None).covered_by == "Le Monde — Santé"  # the head of the source's name
    assert catalogue.outlet("Ouest France", None).covered_by == "Ouest-France"  # spelt otherwise
    assert catalogue.outlet(None, "ouest-france.fr").covered_by == "Ouest-France"  # the feed server's site
    assert catalogue.outlet("Le Monde diplomatique", "www.monde-diplomatique.fr").covered_by == "Le Monde diplomatique"
    assert catalogue.outlet("Hospimedia", "hospimedia.fr") == Outlet(
        "Hospimedia", "hospimedia.fr", "Google Actualités — Hospimedia", by_search=True
    )
    assert catalogue.outlet("Le Parisien", "leparisien.fr").covered_by is None
    assert catalogue.outlet("Google Actualités", "news.google.com").covered_by is None  # a search is no outlet
    assert (
        site_host("https://WWW.Example.FR./a") == "example.fr" and site_host("https://m.www.example.fr") == "example.fr"
    )


def test_a_feed_is_late_on_its_own_article_not_on_another_outlet_s(real_config: Config) -> None:
    config = _config(
        real_config,
        {"name": "Le Télégramme", "url": "https://www.letelegramme.fr/rss.xml"},
        {"name": "Libération", "url": "https://www.liberation.fr/arc/outboundfeeds/rss-all/"},
    )
    opaque = "https://news.google.com/rss/articles/AU_yqL1"
    rows = [
        # Google's link does not carry the URL: the outlet is known by its <source> only.
        _row(1, 10, "Google", 0, opaque, publisher="Le Télégramme", site="https://www.letelegramme.fr"),
        _row(1, 11, "Le Télégramme", 6 * 60 + 1, "https://www.letelegramme.fr/a.html"),
        # Libération wrote its own article in the evening: later, not late.
        _row(1, 12, "Libération", 10 * 60, "https://www.liberation.fr/b/"),
        # Exactly 6 h is not more than 6 h; and a feed first is never late.
        _row(2, 20, "Google", 0, opaque + "2", publisher="Libération"),
        _row(2, 21, "Libération", 6 * 60, "https://www.liberation.fr/c/"),
        _row(3, 30, "Le Télégramme", 0, "https://www.letelegramme.fr/d.html"),
        _row(3, 30, "Google", 9 * 60, "https://www.letelegramme.fr/d.html"),
    ]
    report = coverage_report(config, rows, MONDAY - WEEK, MONDAY + timedelta(days=1))
    first, second, third = report.stories
    assert first.late == [Late("Le Télégramme", "Google", timedelta(hours=6, minutes=1))]
    assert second.late == [] and third.late == []
    assert report.late_sources == [LateSource("Le Télégramme", 1, timedelta(hours=6, minutes=1))]
    assert report.outlets_to_add == []  # every story was delivered by a feed of its own


def test_what_only_an_aggregator_saw_is_told_by_outlet(real_config: Config) -> None:
    config = _config(real_config, {"name": "Le Télégramme", "url": "https://www.letelegramme.fr/rss.xml"})
    rows = [
        # Sources.yaml has the outlet: its feed missed the story.
        _row(1, 10, "Google", 0, "https://www.letelegramme.fr/x.html", publisher="Le Télégramme"),
        # Two stories of an outlet it lacks, one known by its name only (spelt otherwise).
        _row(2, 20, "Google", 5, "https://news.google.com/rss/articles/AU_yqL3", publisher="Actu.fr"),
        _row(3, 30, "Google", 9, "https://www.actu.fr/a", publisher="actu.fr", site="https://actu.fr"),
        # Two of another, named two ways on one site.
        _row(4, 40, "Google", 12, "https://www.lequotidiendumedecin.fr/b", publisher="Le Quotidien du Médecin"),
        _row(5, 50, "Google", 15, "https://www.lequotidiendumedecin.fr/c", publisher="Le Quotidien du Médecin.fr"),
    ]
    report = coverage_report(config, rows, MONDAY - WEEK, MONDAY + timedelta(days=1))
    assert [story.outlets[0].covered_by for story in report.only_aggregated] == ["Le Télégramme"] + [None] * 4
    assert report.outlets_to_add == [
        OutletToAdd(Outlet("actu.fr", "actu.fr"), 2),
        OutletToAdd(Outlet("Le Quotidien du Médecin", "lequotidiendumedecin.fr"), 2),
    ]
    text = " ".join(" ".join(render_coverage(report, real_config.digest.zone)).split())
    assert "publié par Le Télégramme (letelegramme.fr) : dans sources.yaml (« Le Télégramme ») mais son flux" in text
    assert "- actu.fr : 2 récits vus seulement par un agrégateur" in text  # its name is its site


def test_without_an_aggregator_there_is_nothing_to_measure(real_config: Config) -> None:
    config = config_with_sources(real_config, {"name": "Le Télégramme", "url": "https://www.letelegramme.fr/rss.xml"})
    report = coverage_report(config, [], MONDAY - WEEK, MONDAY)
    assert not report.measurable
    assert render_coverage(report, real_config.digest.zone)[2:] == [
        "Aucune source « agregateur » ou « social » active dans sources.yaml : rien à",
        "  quoi comparer les flux directs.",
    ]


# --- the weekly digest ------------------------------------------------------------------------------------------------


def test_the_weekly_digest_tells_the_outlets_to_add_and_the_late_sources(
    engine: Engine, tmp_path: Path, server: LocalServer
) -> None:
    config = play_week(engine, tmp_path, server)
    weekly, _ = produce_digest(engine, config, window=(NOW - WEEK, NOW), kind="weekly", out_dir=tmp_path / "out")
    daily, _ = produce_digest(engine, config, window=(NOW - timedelta(days=1), NOW), out_dir=tmp_path / "out")
    outlet = "Le Courrier du Trégor (courrier-tregor.example) : 1 récit vu seulement par un agrégateur"
    late = "Presse B : 1 récit livré plus de 6 h après un agrégateur, jusqu'à 7 h 10 min"
    assert weekly.coverage == CoverageSection([outlet], [late])
    assert daily.coverage is None

    for fmt, heading in (("html", "Couverture</h2>"), ("md", "## Couverture"), ("txt", "\nCOUVERTURE\n")):
        text = render(weekly, fmt)
        assert heading in text, fmt
        flat = " ".join(html.unescape(text).split() if fmt == "html" else text.split())
        assert outlet in flat and late in flat, fmt
        assert "Couverture" not in render(daily, fmt).replace("COUVERTURE", "Couverture"), fmt
    coverage_part = slack_parts(weekly)[-1]
    assert coverage_part.startswith("*Couverture*\nMédias à ajouter :\n")
    assert f"• {outlet}\n" in coverage_part and f"• {late}\n" in coverage_part
    assert not any("Couverture" in part for part in slack_parts(daily))

    # More outlets than the digest shows, and no late source.
    crowded = replace(weekly, coverage=CoverageSection([outlet] * 5, [], more_outlets=2))
    assert "- … et 2 autres\n\n**Sources en retard** :\n- aucune\n" in render(crowded, "md")
    assert "- … et 2 autres\n\nSources en retard :\n- aucune\n" in render(crowded, "txt")
