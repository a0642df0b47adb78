"""A collection cycle end to end, on SQLite and PostgreSQL: fetch, parse, dedupe, score, store, outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import select

from store import queries
from store.db import session_scope
from store.models import Delivery, FetchAttempt, Item, Score, Source, Story
from tests.clock import NOW, frozen
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.pipeline import Collector

STRIKE = {
    "title": "Grève des médecins libéraux : les cabinets fermés à partir du 5 décembre",
    "link": "https://presse-a.test/sante/greve-medecins-liberaux?utm_source=rss",
    "guid": "a-1",
    "description": "Les syndicats de médecins libéraux appellent à une grève illimitée des cabinets "
    "pour protester contre le projet de loi de financement de la Sécurité sociale.",
    "published": NOW - timedelta(hours=3),
}
STRIKE_ELSEWHERE = {
    "title": "Les médecins libéraux en grève à partir du 5 décembre, cabinets fermés",
    "link": "https://presse-b.test/article/medecins-greve-5-decembre",
    "guid": "b-1",
    "description": "Les syndicats de médecins libéraux appellent à une grève illimitée des cabinets "
    "pour protester contre le projet de loi de financement de la Sécurité sociale.",
    "published": NOW - timedelta(hours=2),
}
NOISE = {
    "title": "Ligue 1 : Lorient s'impose face à Brest",
    "link": "https://presse-a.test/sport/lorient-brest",
    "guid": "a-2",
    "description": "Un match disputé au Moustoir, conclu sur un score de 2-1.",
    "published": NOW - timedelta(hours=5),
}


def _config(real_config: Config, server: LocalServer) -> Config:
    return config_with_sources(
        real_config,
        {"name": "Presse A", "url": server.url("/a.xml"), "topics": ["hopital"]},
        {"name": "Presse B", "url": server.url("/b.xml"), "topics": []},
        {"name": "Flux cassé", "url": server.url("/broken.xml")},
    )


def _cycle(engine: Engine, config: Config, names: list[str] | None = None):
    collector = Collector(engine, config, clock=frozen())
    collector.sync_sources()
    return asyncio.run(collector.run_cycle(names or [source.name for source in config.sources]))


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_second_collect_stores_nothing_new(engine: Engine, real_config: Config, server: LocalServer) -> None:
    server.route("/a.xml", rss("Presse A", [STRIKE, NOISE]))
    server.route("/b.xml", rss("Presse B", [STRIKE_ELSEWHERE]))
    server.route("/broken.xml", b"<html><head><title>Page introuvable</title></head></html>", status=200)
    config = _config(real_config, server)

    first = _cycle(engine, config)
    by_name = {report.source: report for report in first.sources}
    assert (by_name["Presse A"].new, by_name["Presse B"].new) == (2, 1)
    assert by_name["Flux cassé"].error is not None and "page HTML « Page introuvable »" in by_name["Flux cassé"].error

    second = _cycle(engine, config)
    assert second.new == 0
    assert {r.source: r.outcome for r in second.sources}["Presse A"] == "not_modified"  # same body, not re-parsed
    assert _count(engine, Item) == 3

    with session_scope(engine) as session:
        broken = session.exec(select(Source).where(Source.name == "Flux cassé")).one()
        assert broken.consecutive_errors == 2 and "Page introuvable" in (broken.last_error or "")
        assert broken.next_check_at is not None and broken.next_check_at > NOW + timedelta(minutes=30)
        attempts = session.exec(select(func.count()).select_from(FetchAttempt)).one()
        assert attempts == 6


def test_same_story_from_two_outlets_is_one_story_and_one_alert_per_channel(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    server.route("/a.xml", rss("Presse A", [STRIKE, NOISE]))
    server.route("/b.xml", rss("Presse B", [STRIKE_ELSEWHERE]))
    server.route("/broken.xml", rss("vide", []))
    config = _config(real_config, server)
    _cycle(engine, config)

    with session_scope(engine) as session:
        items = {item.guid: item for item in session.exec(select(Item)).all()}
        assert items["a-1"].story_id == items["b-1"].story_id
        assert items["a-2"].story_id != items["a-1"].story_id
        story = session.get(Story, items["a-1"].story_id)
        assert story is not None and story.item_count == 2
        strike_score = session.get(Score, items["a-1"].id)
        assert strike_score is not None and "greve" in strike_score.topics and strike_score.decision == "alert"
        assert any("grève" in reason for reason in strike_score.why)
        noise_score = session.get(Score, items["a-2"].id)
        assert noise_score is not None and noise_score.decision == "drop" and noise_score.topics == []
        everything = session.exec(select(Delivery)).all()
        deliveries = [d for d in everything if d.kind == "alert"]
        assert deliveries, "an alert must leave a pending delivery in the outbox"
        assert len({(d.story_id, d.channel) for d in deliveries}) == len(deliveries)
        # The second outlet joined a story that had its alert: a thread reply is planned, not a new alert.
        followups = [d for d in everything if d.kind.startswith("followup:")]
        assert {d.channel for d in followups} == {d.channel for d in deliveries}
        assert {d.story_id for d in deliveries} == {story.id}
        assert all(d.status == "pending" for d in deliveries)
    assert items["a-1"].url == "https://presse-a.test/sante/greve-medecins-liberaux"


def test_an_item_joining_a_story_its_feed_opened_gets_a_thread_reply(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    # The second article joins a story opened, and alerted, earlier in the same batch: its alert is not stored yet
    # when the batch is planned, and the reply must still be planned under it.
    server.route("/a.xml", rss("Presse A", [STRIKE, {**STRIKE_ELSEWHERE, "guid": "a-3"}]))
    server.route("/b.xml", rss("Presse B", []))
    server.route("/broken.xml", rss("vide", []))
    _cycle(engine, _config(real_config, server), ["Presse A"])

    with session_scope(engine) as session:
        items = {item.guid: item for item in session.exec(select(Item)).all()}
        assert items["a-1"].story_id == items["a-3"].story_id
        everything = session.exec(select(Delivery)).all()
        alerts = [d for d in everything if d.kind == "alert"]
        followups = [d for d in everything if d.kind.startswith("followup:")]
        assert alerts and {d.item_id for d in alerts} == {items["a-1"].id}
        assert sorted(d.channel for d in followups) == sorted(d.channel for d in alerts)
        assert {d.item_id for d in followups} == {items["a-3"].id}


def test_edited_item_is_updated_in_place(engine: Engine, real_config: Config, server: LocalServer) -> None:
    server.route("/a.xml", rss("Presse A", [STRIKE, NOISE]))
    server.route("/b.xml", rss("Presse B", []))
    server.route("/broken.xml", rss("vide", []))
    config = _config(real_config, server)
    _cycle(engine, config)

    edited = {**STRIKE, "title": "Grève des médecins libéraux : le mouvement reconduit jusqu'au 15 décembre"}
    server.route("/a.xml", rss("Presse A", [edited, NOISE]))
    report = _cycle(engine, config, ["Presse A"])
    a = report.sources[0]
    assert (a.new, a.updated, a.unchanged) == (0, 1, 1)
    with session_scope(engine) as session:
        rows = session.exec(select(Item).where(Item.guid == "a-1")).all()
        assert len(rows) == 1 and rows[0].title == edited["title"] and rows[0].updated_at is not None


def test_same_url_or_same_title_and_date_are_one_item(engine: Engine, real_config: Config, server: LocalServer) -> None:
    republished = {**NOISE, "guid": "a-2-bis"}  # new guid, same URL
    retitled_guidless = {"title": "Sans lien unique", "link": "https://presse-a.test/x?id=1", "published": NOW}
    same_title_date = {**retitled_guidless, "link": "https://presse-a.test/x?id=2"}
    server.route("/a.xml", rss("Presse A", [NOISE, republished, retitled_guidless, same_title_date]))
    server.route("/b.xml", rss("Presse B", [{**NOISE, "guid": "b-9"}]))  # another outlet's copy of the same URL
    server.route("/broken.xml", rss("vide", []))
    report = _cycle(engine, _config(real_config, server))
    # Whichever outlet is stored first owns the shared URL; the other sees it as known.
    assert sum(r.new for r in report.sources) == 2
    assert sum(r.unchanged for r in report.sources) == 3
    assert _count(engine, Item) == 2


def test_future_and_absurd_dates_fall_back_to_first_seen(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    future = {**NOISE, "guid": "f", "link": "https://presse-a.test/f", "published": NOW + timedelta(days=400)}
    ancient = {
        **NOISE,
        "guid": "g",
        "link": "https://presse-a.test/g",
        "title": "Autre",
        "published": datetime(1970, 1, 2, tzinfo=UTC),
    }
    server.route("/a.xml", rss("Presse A", [future, ancient]))
    server.route("/b.xml", rss("Presse B", []))
    server.route("/broken.xml", rss("vide", []))
    _cycle(engine, _config(real_config, server))
    with session_scope(engine) as session:
        for item in session.exec(select(Item)).all():
            assert item.published_estimated
            assert item.published_at == item.collected_at == NOW


def test_enqueue_reports_a_conflict_as_nothing_written(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    # Regression: on PostgreSQL the driver reports rowcount -1 for INSERT … ON CONFLICT DO NOTHING,
    # which read as « written » and inflated the count of pending alerts.
    server.route("/a.xml", rss("Presse A", [STRIKE]))
    server.route("/b.xml", rss("Presse B", []))
    server.route("/broken.xml", rss("vide", []))
    _cycle(engine, _config(real_config, server))
    with session_scope(engine) as session:
        item = session.exec(select(Item)).one()
        assert item.story_id is not None
        first = queries.enqueue_delivery(
            session, story_id=item.story_id, item_id=item.id or 0, channel="#essai", now=NOW
        )
        again = queries.enqueue_delivery(
            session, story_id=item.story_id, item_id=item.id or 0, channel="#essai", now=NOW
        )
    assert (first, again) == (True, False)


def test_an_item_another_worker_stored_meanwhile_is_kept_once(
    engine: Engine, real_config: Config, server: LocalServer, monkeypatch
) -> None:
    """The batch's lookup missed it (stored between lookup and insert): the insert conflicts, the batch is
    planned again, and the story index keeps no trace of the first plan."""
    server.route("/a.xml", rss("Presse A", [STRIKE]))
    server.route("/b.xml", rss("Presse B", [dict(STRIKE, guid="b-copy")]))  # the same link in another source
    config = _config(real_config, server)
    collector = Collector(engine, config, clock=frozen())
    collector.sync_sources()
    asyncio.run(collector.run_cycle(["Presse A"]))
    indexed_before = len(collector._story_index or [])

    real_lookup = queries.known_items
    lookups = []

    def blind_first(session, source_id, keys):  # type: ignore[no-untyped-def]
        lookups.append(source_id)
        found = real_lookup(session, source_id, keys)
        return queries.KnownItems(source_id, []) if len(lookups) == 1 else found

    monkeypatch.setattr(queries, "known_items", blind_first)
    report = asyncio.run(collector.run_cycle(["Presse B"]))
    (presse_b,) = report.sources
    assert (presse_b.new, presse_b.unchanged, presse_b.error) == (0, 1, None)
    assert len(lookups) == 2  # planned again after the conflict
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Item)).one() == 1
        assert session.exec(select(func.count()).select_from(Story)).one() == 1
    assert len(collector._story_index or []) == indexed_before


def test_a_follow_up_listed_twice_in_its_feed_still_gets_its_thread_reply(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    """The second listing, edited, is what gets judged; the item is still the new one that joined the story."""
    server.route("/a.xml", rss("Presse A", [STRIKE]))
    edited = dict(STRIKE_ELSEWHERE, description=str(STRIKE_ELSEWHERE["description"]) + " Mise à jour à 9 h.")
    server.route("/b.xml", rss("Presse B", [STRIKE_ELSEWHERE, edited]))
    config = _config(real_config, server)
    _cycle(engine, config, ["Presse A"])
    _cycle(engine, config, ["Presse B"])
    with session_scope(engine) as session:
        everything = session.exec(select(Delivery)).all()
        alerts = [d for d in everything if d.kind == "alert"]
        followups = [d for d in everything if d.kind.startswith("followup:")]
        assert alerts and {d.channel for d in followups} == {d.channel for d in alerts}
        updated = session.exec(select(Item).where(Item.guid == "b-1")).one()
        assert updated.summary.endswith("Mise à jour à 9 h.")


def test_a_batch_that_keeps_conflicting_is_a_french_error_and_stores_nothing(
    engine: Engine, real_config: Config, server: LocalServer, monkeypatch
) -> None:
    server.route("/a.xml", rss("Presse A", [STRIKE]))
    server.route("/b.xml", rss("Presse B", [dict(STRIKE, guid="b-copy")]))
    config = _config(real_config, server)
    _cycle(engine, config, ["Presse A"])
    monkeypatch.setattr(queries, "known_items", lambda session, source_id, keys: queries.KnownItems(source_id, []))
    (presse_b,) = _cycle(engine, config, ["Presse B"]).sources
    assert presse_b.error is not None and presse_b.error.startswith("des articles de ce flux étaient enregistrés")
    assert "inattendue" not in presse_b.error
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Item)).one() == 1
