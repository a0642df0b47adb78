"""`watcher status` and the ops channel, at a fixed moment, on states written here.

The status reads only (a dump of the SQLite database is the same before and after), tells the
last cycle and its length, the failing sources, the last 24 hours' items, the waiting and failed
alerts and the next digest, and exits 1 when the work stops. The ops channel hears of a problem
once, whatever the number of checks and services, and once that it is over.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, update
from sqlmodel import select
from typer.testing import CliRunner

from alerts.slack import SlackSender
from store import cycles, queries
from store.db import session_scope
from store.models import Delivery, DeliveryStatus, DigestRun, Item, Score, Source, Story
from tests.conftest import REPO_ROOT
from tests.fakeslack import FakeSlack
from watcher import ops, status
from watcher.cli import app
from watcher.config import Config, load_config

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)  # a Sunday, 10:00 in Paris
runner = CliRunner()


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(REPO_ROOT / "sources.yaml")


def _sources(engine: Engine, count: int, due: datetime) -> None:
    specs = [queries.SourceSpec(f"Source {n}", "rss", f"https://s{n}.test/rss", 1800, True) for n in range(count)]
    with session_scope(engine) as session:
        queries.sync_sources(session, specs, due)


def _cycle(engine: Engine, started: datetime, took: timedelta, *, sources: int = 5, new: int = 3) -> None:
    with session_scope(engine) as session:
        cycle_id = cycles.cycle_started(session, "vm:1:abc", started)
    with session_scope(engine) as session:
        cycles.cycle_finished(session, cycle_id, started + took, sources=sources, new=new, errors=1)


def _alert(engine: Engine, created: datetime, status_: str = DeliveryStatus.PENDING, n: int = 0) -> None:
    with session_scope(engine) as session:
        source_id = session.exec(select(Source.id)).first() or 0
        story = Story(title=f"Récit {n}", first_seen_at=created, last_seen_at=created)
        session.add(story)
        session.flush()
        item = Item(
            source_id=source_id,
            story_id=story.id,
            guid=f"g{n}",
            url=f"https://s.test/{n}",
            title=f"Article {n}",
            published_at=created,
            collected_at=created,
            title_date_key=f"k{n}",
            content_hash=f"h{n}",
        )
        session.add(item)
        session.flush()
        session.add(Score(item_id=item.id or 0, score=80, decision="alert", scored_at=created))
        session.add(
            Delivery(
                story_id=story.id or 0, item_id=item.id or 0, channel="#veille", status=status_, created_at=created
            )
        )


def _status(engine: Engine, config: Config, now: datetime = NOW, *, slack: bool = True) -> status.ServiceStatus:
    return status.read(engine, config, now, slack=slack)


def test_a_working_service_is_healthy_and_told_in_french(sqlite_engine: Engine, config: Config) -> None:
    _sources(sqlite_engine, 5, NOW - timedelta(minutes=10))
    _cycle(sqlite_engine, NOW - timedelta(minutes=12), timedelta(seconds=42, milliseconds=300))
    _alert(sqlite_engine, NOW - timedelta(minutes=5))
    with session_scope(sqlite_engine) as session:
        failing = update(Source).where(Source.name == "Source 2")  # type: ignore[arg-type]
        session.exec(failing.values(consecutive_errors=3, last_error="HTTP 503"))  # type: ignore[call-overload]
        session.add(
            DigestRun(
                day=NOW.date(),
                kind="daily",
                channel="email",
                status=DeliveryStatus.SENT,
                owner="w",
                claimed_until=NOW,
                created_at=NOW - timedelta(hours=2),
                sent_at=NOW - timedelta(hours=2, minutes=29),
            )
        )
    report = _status(sqlite_engine, config)
    assert report.healthy
    assert status.render(report) == [
        "État de la veille au 06/12/2026 à 10:00 (Europe/Paris)",
        "Dernier cycle de collecte : terminé aujourd'hui à 09:48 (il y a 11 min), en 42,3 s : "
        "5 sources, 3 nouveaux articles, 1 en erreur",
        "Sources en erreur : 1 sur 5 actives",
        "  - Source 2 : 3 échecs de suite — HTTP 503",
        "Articles des dernières 24 h : 1 (1 alerte, 0 pour la synthèse, 0 écarté)",
        "Alertes en attente d'envoi : 1 (la plus ancienne depuis 5 min) ; en échec définitif : 0",
        "Prochaine synthèse : lundi 07/12/2026 à 07:30 (avec la synthèse de la semaine) ; "
        "dernière envoyée aujourd'hui à 07:31",
        "État : en bonne santé",
    ]


def test_no_cycle_in_three_intervals_while_sources_wait_is_unhealthy(sqlite_engine: Engine, config: Config) -> None:
    _sources(sqlite_engine, 4, NOW - timedelta(hours=2))
    _cycle(sqlite_engine, NOW - timedelta(hours=2, minutes=1), timedelta(minutes=1))
    assert status.collection_interval(config) == timedelta(minutes=30)
    assert _status(sqlite_engine, config, NOW - timedelta(minutes=31)).healthy  # 90 min: not yet three intervals
    report = _status(sqlite_engine, config)
    assert not report.healthy
    [problem] = report.problems
    assert problem.kind == status.CYCLES
    assert problem.message.startswith("aucun cycle de collecte terminé depuis 2 h (attendu au moins toutes les 30 min)")
    assert "4 sources attendent" in problem.message
    # The same silence with nothing due (every source backed off or told to wait by its server) is not a fault.
    with session_scope(sqlite_engine) as session:
        session.exec(update(Source).values(next_check_at=NOW + timedelta(hours=3)))  # type: ignore[call-overload]
    assert _status(sqlite_engine, config).healthy


def test_a_stuck_cycle_is_told(sqlite_engine: Engine, config: Config) -> None:
    _sources(sqlite_engine, 2, NOW - timedelta(hours=3))
    _cycle(sqlite_engine, NOW - timedelta(hours=3), timedelta(seconds=30))
    with session_scope(sqlite_engine) as session:
        cycles.cycle_started(session, "vm:2:def", NOW - timedelta(hours=2))
    report = _status(sqlite_engine, config)
    assert not report.healthy
    assert "Cycle non terminé : commencé aujourd'hui à 08:00 (il y a 2 h) par vm:2:def" in status.render(report)


def test_alerts_waiting_more_than_30_minutes_outside_the_quiet_hours(sqlite_engine: Engine, config: Config) -> None:
    _sources(sqlite_engine, 1, NOW)
    _cycle(sqlite_engine, NOW - timedelta(minutes=2), timedelta(seconds=5))
    _alert(sqlite_engine, NOW - timedelta(minutes=31))
    report = _status(sqlite_engine, config)
    assert [problem.kind for problem in report.problems] == [status.ALERTS]
    assert report.problems[0].message == (
        "1 alerte attend depuis plus de 30 min (la plus ancienne depuis 31 min) : l'envoi vers Slack est-il en panne ?"
    )
    # Without Slack, alerts wait in the database by design.
    assert _status(sqlite_engine, config, slack=False).healthy
    # Quiet hours (22:00-07:30 in Paris) do not count: 21:50 -> 07:45 is 25 minutes of waiting.
    evening = datetime(2026, 12, 5, 21, 50, tzinfo=PARIS)
    with session_scope(sqlite_engine) as session:
        session.exec(update(Delivery).values(created_at=evening))  # type: ignore[call-overload]
    morning = datetime(2026, 12, 6, 7, 45, tzinfo=PARIS)
    _cycle(sqlite_engine, morning - timedelta(minutes=1), timedelta(seconds=5))
    assert _status(sqlite_engine, config, morning).healthy
    assert not _status(sqlite_engine, config, morning + timedelta(minutes=10)).healthy


def test_time_outside_the_quiet_hours() -> None:
    quiet = (time(22, 0), time(7, 30))
    start = datetime(2026, 12, 5, 21, 50, tzinfo=PARIS)
    assert status.outside_quiet_hours(start, start + timedelta(minutes=5), quiet, PARIS) == timedelta(minutes=5)
    assert status.outside_quiet_hours(start, datetime(2026, 12, 6, 7, 45, tzinfo=PARIS), quiet, PARIS) == timedelta(
        minutes=25
    )
    two_days = datetime(2026, 12, 7, 7, 45, tzinfo=PARIS)
    assert status.outside_quiet_hours(start, two_days, quiet, PARIS) == timedelta(minutes=25 + 14 * 60 + 30)
    day_quiet = (time(12, 0), time(14, 0))
    assert status.outside_quiet_hours(start, two_days, day_quiet, PARIS) == two_days - start - timedelta(hours=2)
    assert status.outside_quiet_hours(start, two_days, None, PARIS) == two_days - start


def test_the_next_digest(config: Config) -> None:
    assert status.next_digest(config, NOW) == (datetime(2026, 12, 7, 7, 30, tzinfo=PARIS), True)
    monday_noon = datetime(2026, 12, 7, 12, 0, tzinfo=PARIS)
    assert status.next_digest(config, monday_noon) == (datetime(2026, 12, 8, 7, 30, tzinfo=PARIS), False)


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def test_the_command_reads_only_and_exits_1_when_unhealthy(
    tmp_path: Path, sqlite_engine: Engine, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sources(sqlite_engine, 3, NOW - timedelta(hours=3))
    _cycle(sqlite_engine, NOW - timedelta(hours=3, seconds=12), timedelta(seconds=12))
    sqlite_engine.dispose()
    database = Path(str(sqlite_engine.url.database))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    before = _dump(database)

    sick = runner.invoke(app, ["--config", str(REPO_ROOT / "sources.yaml"), "status", "--now", NOW.isoformat()])
    assert sick.exit_code == 1, sick.output
    assert "État : PROBLÈME" in sick.output and "aucun cycle de collecte terminé depuis 3 h" in sick.output
    well = runner.invoke(
        app, ["--config", str(REPO_ROOT / "sources.yaml"), "status", "--now", "2026-12-06T07:30:00+01:00"]
    )
    assert well.exit_code == 0, well.output
    assert "Dernier cycle de collecte : terminé aujourd'hui à 07:00 (il y a 30 min), en 12,0 s" in well.output
    # The global `watcher --now` says the same as the command's own --now, not the wall clock.
    replayed = runner.invoke(app, ["--config", str(REPO_ROOT / "sources.yaml"), "--now", "2026-12-06T07:30", "status"])
    assert (replayed.exit_code, replayed.output) == (0, well.output)
    assert _dump(database) == before


def test_the_command_says_what_is_wrong_with_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = ["--config", str(REPO_ROOT / "sources.yaml"), "status", "--now", NOW.isoformat()]
    missing = tmp_path / "absente.db"
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{missing}")
    result = runner.invoke(app, config)
    assert result.exit_code == 1 and "base introuvable" in result.output and not missing.exists()
    monkeypatch.setenv("WATCHER_DATABASE_URL", "postgresql+psycopg://veille:secret@127.0.0.1:9/veille")
    result = runner.invoke(app, config)
    assert result.exit_code == 1 and "connexion refusée par 127.0.0.1, port 9" in result.output
    assert "secret" not in result.output and "***" in result.output
    empty = tmp_path / "vide.db"
    sqlite3.connect(empty).close()
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{empty}")
    result = runner.invoke(app, config)
    assert result.exit_code == 1 and "watcher db upgrade" in result.output
    result = runner.invoke(app, [*config[:-1], "hier"])
    assert result.exit_code == 2 and "moment invalide « hier »" in result.output


@pytest.fixture
def slack(config: Config) -> Iterator[tuple[FakeSlack, SlackSender]]:
    with FakeSlack(list(config.alerts.channels.values())) as fake:
        yield fake, SlackSender("xoxb-test", fake.base_url)


def _ops_messages(fake: FakeSlack) -> list[str]:
    return [str(message["text"]) for message in fake.messages[fake.channel_ids["veille-ops"]]]


def test_the_ops_channel_hears_of_a_problem_once_and_of_its_end_once(
    engine: Engine, config: Config, slack: tuple[FakeSlack, SlackSender]
) -> None:
    fake, sender = slack
    _sources(engine, 3, NOW - timedelta(hours=2))
    _cycle(engine, NOW - timedelta(hours=2, seconds=30), timedelta(seconds=30))
    assert ops.ops_channel(config) == "#veille-ops"

    # Two services check every minute for ten minutes: one message.
    for minute in range(10):
        for owner in ("service-a", "service-b"):
            ops.check(engine, config, sender, owner=owner, now=NOW + timedelta(minutes=minute))
    [told] = _ops_messages(fake)
    assert told.startswith(":warning: Veille Action Patients : aucun cycle de collecte terminé depuis 2 h")

    # A cycle ends: one message that it is over, then nothing more.
    _cycle(engine, NOW + timedelta(minutes=10), timedelta(seconds=20))
    with session_scope(engine) as session:
        session.exec(update(Source).values(next_check_at=NOW + timedelta(minutes=40)))  # type: ignore[call-overload]
    for minute in range(11, 14):
        for owner in ("service-a", "service-b"):
            ops.check(engine, config, sender, owner=owner, now=NOW + timedelta(minutes=minute))
    assert _ops_messages(fake)[1:] == [
        ":white_check_mark: Veille Action Patients : rétablie, les cycles de collecte ont repris "
        "(problème signalé il y a 11 min)."
    ]


def test_an_ops_message_that_could_not_go_is_sent_at_the_next_check(
    sqlite_engine: Engine, config: Config, slack: tuple[FakeSlack, SlackSender]
) -> None:
    fake, sender = slack
    _sources(sqlite_engine, 1, NOW)
    _cycle(sqlite_engine, NOW - timedelta(minutes=1), timedelta(seconds=3))
    _alert(sqlite_engine, NOW - timedelta(minutes=40))
    fake.down = True
    failed = ops.check(sqlite_engine, config, sender, owner="a", now=NOW)
    assert failed.posted == [] and failed.errors
    fake.down = False
    sent = ops.check(sqlite_engine, config, sender, owner="a", now=NOW + timedelta(minutes=1))
    assert len(sent.posted) == 1 and "1 alerte attend depuis plus de 30 min" in sent.posted[0]
    assert ops.check(sqlite_engine, config, sender, owner="a", now=NOW + timedelta(minutes=2)).posted == []
    assert len(_ops_messages(fake)) == 1


def test_a_new_database_has_no_cycle_yet(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite_engine.dispose()
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{sqlite_engine.url.database}")
    result = runner.invoke(
        app, ["--config", str(REPO_ROOT / "sources.yaml"), "status", "--now", "2026-12-06T10:00:00+01:00"]
    )
    assert result.exit_code == 0, result.output
    assert "Dernier cycle de collecte : aucun n'est encore terminé" in result.output
    assert "Sources en erreur : 0 sur 0 active" in result.output
