"""Human verdicts (SQLite and PostgreSQL) and the commands `watcher verdict` and `watcher rules stats`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from store import queries
from store.db import make_engine, session_scope
from store.models import Item, Source, Verdict
from store.verdicts import UnknownItemError, reason_counts, record_verdict
from watcher.cli import app
from watcher.rules_stats import rule_stats

NOW = datetime(2026, 11, 20, 8, tzinfo=UTC)
runner = CliRunner()


def _item(session, number: int, why: list[str]) -> int:  # type: ignore[no-untyped-def]
    source = session.exec(select(Source)).first()
    if source is None:
        source = Source(name="Presse", kind="rss", url="https://p.test/rss", interval_seconds=900)
        session.add(source)
        session.flush()
    item = Item(
        source_id=source.id, guid=f"g{number}", url=f"https://p.test/{number}", title=f"Article {number}",
        published_at=NOW, collected_at=NOW, title_date_key=f"k{number}", content_hash="h",
    )  # fmt: skip
    session.add(item)
    session.flush()
    queries.save_scores(session, [{
        "item_id": item.id, "score": 80, "decision": "alert", "topics": ["hopital"], "why": why,
        "mentions": [], "member_mentions": [], "scored_at": NOW,
    }])  # fmt: skip
    return item.id or 0


def test_record_verdict_is_an_idempotent_upsert(engine: Engine) -> None:
    with session_scope(engine) as session:
        item_id = _item(session, 1, ["hopital : « urgences » +45"])
    with session_scope(engine) as session:
        assert record_verdict(session, item_id=item_id, topic="hopital", verdict="pertinent", who="alice", now=NOW)
    with session_scope(engine) as session:
        assert not record_verdict(session, item_id=item_id, topic="hopital", verdict="pertinent", who="alice", now=NOW)
        assert record_verdict(session, item_id=item_id, topic="hopital", verdict="hors_sujet", who="alice", now=NOW)
        assert record_verdict(session, item_id=item_id, topic="hopital", verdict="pertinent", who="bob", now=NOW)
        assert record_verdict(session, item_id=item_id, topic="greve", verdict="hors_sujet", who="alice", now=NOW)
    with session_scope(engine) as session:
        rows = {(v.topic, v.who): v.verdict for v in session.exec(select(Verdict)).all()}
        expected = {
            ("hopital", "alice"): "hors_sujet",
            ("hopital", "bob"): "pertinent",
            ("greve", "alice"): "hors_sujet",
        }
        assert rows == expected
        with pytest.raises(UnknownItemError):
            record_verdict(session, item_id=9999, topic="hopital", verdict="pertinent", who="alice", now=NOW)
        with pytest.raises(ValueError):
            record_verdict(session, item_id=item_id, topic="hopital", verdict="peut-être", who="alice", now=NOW)


def test_rule_precision_counts_penalties_the_other_way(engine: Engine) -> None:
    with session_scope(engine) as session:
        good = _item(session, 1, ["hopital : « urgences » +45", "hopital : « EHPAD » -30"])
        bad = _item(session, 2, ["hopital : « urgences » +45", "greve : contexte requis absent (ex. « grève ») → 0"])
        _item(session, 3, ["hopital : « urgences » +45"])
        record_verdict(session, item_id=good, topic="hopital", verdict="pertinent", who="a", now=NOW)
        record_verdict(session, item_id=bad, topic="hopital", verdict="hors_sujet", who="a", now=NOW)
    with session_scope(engine) as session:
        stats = {(s.topic, s.rule): s for s in rule_stats(reason_counts(session))}
    urgences = stats[("hopital", "urgences")]
    assert (urgences.hits, urgences.judged, urgences.precision) == (3, 2, 0.5)
    ehpad = stats[("hopital", "EHPAD")]
    assert ehpad.penalty and ehpad.precision == 0.0  # the penalty fired on an item judged pertinent
    assert ("greve", "grève") not in stats


@pytest.fixture
def database(migrated_sqlite: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{migrated_sqlite}")
    return make_engine()


def test_verdict_and_rules_stats_commands(database: Engine) -> None:
    with session_scope(database) as session:
        item_id = _item(session, 1, ["hopital : « urgences » +45"])
    at_now = ["--now", NOW.isoformat()]
    first = runner.invoke(app, [*at_now, "verdict", str(item_id), "--topic", "hopital", "--yes", "--who", "alice"])
    assert first.exit_code == 0, first.output
    assert f"Avis enregistré : article n° {item_id}, thème hopital → pertinent (par alice)." in first.output
    with session_scope(database) as session:
        assert session.exec(select(Verdict.created_at)).one() == NOW  # given at --now
    again = runner.invoke(app, [*at_now, "verdict", str(item_id), "--topic", "hopital", "--yes", "--who", "alice"])
    assert "Avis inchangé" in again.output
    stats = runner.invoke(app, ["rules", "stats"])
    assert stats.exit_code == 0, stats.output
    assert "« urgences »" in stats.output and "100 %" in stats.output


def test_verdict_errors_are_french(database: Engine) -> None:
    unknown_topic = runner.invoke(app, ["verdict", "1", "--topic", "sncf", "--yes"])
    assert unknown_topic.exit_code == 1 and "thème inconnu « sncf »" in unknown_topic.output
    both = runner.invoke(app, ["verdict", "1", "--topic", "hopital", "--yes", "--no"])
    assert both.exit_code == 1 and "soit --yes (pertinent), soit --no (hors sujet)" in both.output
    missing = runner.invoke(app, ["verdict", "42", "--topic", "hopital", "--no"])
    assert missing.exit_code == 1 and "article n° 42 introuvable" in missing.output


def test_user_defaults_to_the_environment(database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(database) as session:
        item_id = _item(session, 1, [])
    monkeypatch.setenv("USER", "camille")
    result = runner.invoke(app, ["--now", NOW.isoformat(), "verdict", str(item_id), "--topic", "ame", "--no"])
    assert "hors sujet (par camille)" in result.output
    with session_scope(database) as session:
        assert session.exec(select(Verdict.who)).one() == "camille"
    # Without a user name, the verdict is signed as every other desk command from the terminal signs.
    monkeypatch.delenv("USER")
    monkeypatch.delenv("USERNAME", raising=False)
    result = runner.invoke(app, ["--now", NOW.isoformat(), "verdict", str(item_id), "--topic", "ame", "--yes"])
    assert "pertinent (par ligne de commande)" in result.output
    with session_scope(database) as session:
        assert set(session.exec(select(Verdict.who)).all()) == {"camille", "ligne de commande"}


def test_caps_context_abroad_and_priors_are_rules_too(engine: Engine) -> None:
    # Reasons exactly as watcher/score.py writes them; only the terms used to be counted.
    dampen = "hopital : fait divers ou justice sans question de système de soins (« plainte »), note plafonnée à 39"
    with session_scope(engine) as session:
        capped = _item(
            session,
            1,
            [
                "hopital : « hôpital » +30",
                "hopital : un seul indice, note plafonnée à 39",
                dampen,
                "hopital : à l'étranger (« Québec ») -40",
                "hopital : source « Le Monde » -5",
            ],
        )
        other = _item(
            session,
            2,
            [
                "hopital : « urgences » +45",
                dampen.replace("« plainte »", "« parquet »"),
                # As written since the 0–100 curve; the other source reason above is the earlier form.
                "hopital : thème par défaut de la source +10 % de l'écart à 100 (+4)",
                "hopital : alerte, fermeture annoncée (« urgences fermées »)",
                "greve : contexte requis absent du titre et du chapô (ex. « infirmiers ») → 0",
            ],
        )
        record_verdict(session, item_id=capped, topic="hopital", verdict="hors_sujet", who="a", now=NOW)
        record_verdict(session, item_id=other, topic="hopital", verdict="pertinent", who="a", now=NOW)
        record_verdict(session, item_id=other, topic="greve", verdict="hors_sujet", who="a", now=NOW)
    with session_scope(engine) as session:
        stats = {(s.topic, s.label): s for s in rule_stats(reason_counts(session))}
    fait_divers = stats[("hopital", "plafond : fait divers ou justice sans question de système de soins")]
    assert (fait_divers.hits, fait_divers.judged, fait_divers.precision) == (2, 2, 0.5)  # one rule, two triggers
    assert stats[("hopital", "un seul indice (note plafonnée)")].precision == 1.0
    abroad = stats[("hopital", "à l'étranger (« Québec »)")]
    assert abroad.penalty and abroad.precision == 1.0
    assert stats[("hopital", "source « Le Monde » (pénalité)")].precision == 1.0
    default = stats[("hopital", "thème par défaut de la source")]
    assert not default.penalty and default.precision == 1.0
    context = stats[("greve", "contexte requis absent (note à 0)")]
    assert context.penalty and context.precision == 1.0
    alert_rule = stats[("hopital", "alerte : fermeture annoncée")]
    assert not alert_rule.penalty and alert_rule.precision == 1.0
    assert len(stats) == 9  # and the two terms
