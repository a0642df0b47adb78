"""Tribunes, the press register and verdicts in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from store import desk as store_desk
from store.db import session_scope
from store.models import PressMention, Verdict
from store.verdicts import record_verdict
from tests.clock import NOW, frozen
from tests.deskdata import LAVAL, MENTION, collect
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher import desk
from watcher.config import Config
from watcher.pipeline import Collector


def test_items_citing_the_collective_enter_the_register_once(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    config, ids = collect(engine, real_config, server)
    with session_scope(engine) as session:
        (mention,) = session.exec(select(PressMention)).all()
    assert (mention.item_id, mention.status, mention.origin, mention.medium) == (
        ids[MENTION["link"]],
        "a_valider",
        "auto",
        "web",
    )
    assert mention.outlet == "Presse du bureau"
    assert mention.quote == (
        "« Nous demandons un plan d'urgence pour l'hôpital », déclare Danielle Vacher, "
        "présidente du collectif Action Patients."
    )
    assert mention.spokesperson == "Danielle Vacher"
    assert mention.day == MENTION["published"].astimezone(config.digest.zone).date()  # type: ignore[attr-defined]

    # Collected again after an edit: re-judged, still one entry.
    edited = {**MENTION, "description": str(MENTION["description"]) + " Une réunion est prévue lundi."}
    server.route("/desk.xml", rss("Presse du bureau", [edited]))
    collector = Collector(engine, config, clock=frozen())
    asyncio.run(collector.run_cycle(["Presse du bureau"]))
    with session_scope(engine) as session:
        assert len(session.exec(select(PressMention)).all()) == 1


def test_tribune_life_and_publication_into_the_register(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    config, ids = collect(engine, real_config, server)
    item_id = ids[LAVAL["link"]]
    with session_scope(engine) as session:
        tribune, created = desk.flag(session, item_id, note=None, who="magali", now=NOW)
        assert created and tribune.status == "a_etudier"
        again, created = desk.flag(session, item_id, note="Angle : les nuits sans urgences", who="damien", now=NOW)
        assert not created and (again.flagged_by, again.note) == ("magali", "Angle : les nuits sans urgences")
        assert (again.updated_by, again.updated_at) == ("damien", NOW)  # who changed it, beside who flagged it
        with pytest.raises(desk.DeskError, match="article 999999 introuvable"):
            desk.flag(session, 999_999, note=None, who="magali", now=NOW)

    with session_scope(engine) as session:
        tribune, mention = desk.set_tribune(
            session,
            item_id,
            config,
            who="nadia",
            now=NOW,
            status="en_redaction",
            outlet="Le Monde",
            deadline=date(2026, 12, 1),
        )
        assert mention is None and tribune.deadline == date(2026, 12, 1)
        assert (tribune.flagged_by, tribune.updated_by) == ("magali", "nadia")
        with pytest.raises(desk.DeskError, match=r"adresse invalide « liberation\.fr »"):
            desk.set_tribune(session, item_id, config, who="magali", now=NOW, url="liberation.fr")
        with pytest.raises(desk.DeskError, match="n'est pas dans la liste des tribunes"):
            desk.set_tribune(session, ids[MENTION["link"]], config, who="magali", now=NOW, status="publiee")

    with session_scope(engine) as session:
        # Published without a date: the register takes the day in Paris, already New Year's Day at 23:30 UTC.
        new_year_night = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
        _, mention = desk.set_tribune(
            session,
            item_id,
            config,
            who="magali",
            now=new_year_night,
            status="publiee",
            url="https://lemonde.example/t",
        )
        assert mention is not None and mention.day == date(2027, 1, 1)
        first_id = mention.id
    with session_scope(engine) as session:
        _, mention = desk.set_tribune(
            session, item_id, config, who="magali", now=NOW, url="https://lemonde.example/tribune", title="Titre"
        )
        assert mention is not None and mention.id == first_id
    with session_scope(engine) as session:
        rows = session.exec(select(PressMention).where(PressMention.origin == "tribune")).all()
        assert [(m.outlet, m.url, m.title, m.status, m.medium) for m in rows] == [
            ("Le Monde", "https://lemonde.example/tribune", "Titre", "validee", "presse")
        ]
        assert [t.status for t, _ in store_desk.tribunes(session, "publiee")] == ["publiee"]
        assert store_desk.tribunes(session, "a_etudier") == []


def test_a_published_tribune_needs_its_outlet(engine: Engine, real_config: Config, server: LocalServer) -> None:
    config, ids = collect(engine, real_config, server)
    with session_scope(engine) as session:
        desk.flag(session, ids[LAVAL["link"]], note=None, who="magali", now=NOW)
    with session_scope(engine) as session, pytest.raises(desk.DeskError, match="ajoutez --outlet"):
        desk.set_tribune(session, ids[LAVAL["link"]], config, who="magali", now=NOW, status="publiee")


def test_register_by_year_and_status(engine: Engine) -> None:
    with session_scope(engine) as session:
        for day, status in (
            (date(2025, 12, 31), "validee"),
            (date(2026, 1, 2), "validee"),
            (date(2026, 2, 3), "rejetee"),
        ):
            store_desk.add_mention(
                session,
                PressMention(
                    day=day,
                    outlet="France Inter",
                    title=str(day),
                    medium="radio",
                    status=status,
                    origin="manuel",
                    created_at=NOW,
                ),
            )
    with session_scope(engine) as session:
        assert [m.title for m in store_desk.mentions(session, year=2026)] == ["2026-01-02", "2026-02-03"]
        assert [m.title for m in store_desk.mentions(session, status="validee")] == ["2025-12-31", "2026-01-02"]
        mention = store_desk.mentions(session, year=2026)[1]
        assert store_desk.set_mention_status(session, mention, "validee", "magali", now=NOW)
        assert not store_desk.set_mention_status(session, mention, "validee", "magali", now=NOW)
        assert mention.decided_by == "magali" and mention.decided_at is not None


def test_record_verdict_is_an_idempotent_upsert(engine: Engine, real_config: Config, server: LocalServer) -> None:
    _, ids = collect(engine, real_config, server)
    item_id = ids[LAVAL["link"]]
    with session_scope(engine) as session:
        assert record_verdict(session, item_id=item_id, topic="hopital", verdict="pertinent", who="@marie", now=NOW)
        assert not record_verdict(session, item_id=item_id, topic="hopital", verdict="pertinent", who="@marie", now=NOW)
        assert record_verdict(session, item_id=item_id, topic="hopital", verdict="hors_sujet", who="@marie", now=NOW)
        assert record_verdict(session, item_id=item_id, topic="hopital", verdict="pertinent", who="@paul", now=NOW)
    with session_scope(engine) as session:
        rows = session.exec(select(Verdict).order_by(Verdict.who)).all()
    assert [(v.who, v.verdict) for v in rows] == [("@marie", "hors_sujet"), ("@paul", "pertinent")]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("à étudier", "a_etudier"),
        ("a etudier", "a_etudier"),
        ("A_ETUDIER", "a_etudier"),
        ("en rédaction", "en_redaction"),
        ("en-redaction", "en_redaction"),
        ("publiée", "publiee"),
        ("Abandonnée", "abandonnee"),
    ],
)
def test_tribune_statuses_as_people_type_them(typed: str, code: str) -> None:
    assert desk.tribune_status(typed) == code


def test_unknown_status_lists_the_choices() -> None:
    with pytest.raises(desk.DeskError) as caught:
        desk.tribune_status("prête")
    assert str(caught.value) == (
        "statut de tribune inconnu « prête » (attendu : « à étudier », « en rédaction », « publiée », « abandonnée »)"
    )
    assert desk.medium("Télévision") == "tv"
    with pytest.raises(desk.DeskError, match="type de média inconnu « podcast »"):
        desk.medium("podcast")
