"""The what-if preview over a stored archive: which items another configuration would decide otherwise."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from store.db import make_engine, session_scope
from store.models import Item, Score
from tests import whatifdata as data
from tests.clock import AT_NOW, NOW
from tests.localserver import LocalServer
from watcher.cli import app
from watcher.config import Config, load_config
from watcher.whatif import Change, what_if


def _other(folder: Path, server: LocalServer, edit: dict[str, object] | None = None) -> Config:
    """The running configuration with « kinésithérapeutes » and an exclusion added, or with `edit` as alerts."""
    values = data.other_topic_data(server) if edit is None else data.config_data(server)
    if edit is not None:
        values["alerts"].update(edit)
    return load_config(data.write_config(folder / "autre.yaml", values))


def test_a_term_and_an_exclusion_bring_items_in_and_out(engine: Engine, tmp_path: Path, server: LocalServer) -> None:
    archive = data.build(engine, tmp_path, server)
    running = load_config(archive.running)
    result = what_if(engine, running, _other(tmp_path, server), now=NOW, days=30)

    assert result.examined == len(data.RECENT)  # the item collected forty days ago is outside the window
    assert (result.start, result.end) == (NOW - timedelta(days=30), NOW)
    entering = result.of(Change.ENTERING)
    # Strongest first: the word in the title weighs 1.5 times the word in the lead.
    assert [c.url for c in entering] == [data.KINE_TITLE["link"], data.KINE_LEAD["link"]]
    assert [(c.before.decision, c.after.decision) for c in entering] == [("drop", "digest")] * 2
    assert entering[0].after.score > entering[1].after.score > running.alerts.digest_threshold
    assert entering[0].after.topics == ("hopital",)
    assert entering[0].title == data.KINE_TITLE["title"] and entering[0].source == "Presse"
    [leaving] = result.of(Change.LEAVING)
    assert leaving.item_id == archive.ids[data.PEDIATRICS["link"]]
    assert leaving.before.decision == "digest" and leaving.after.decision == "drop"
    assert leaving.after.score < running.alerts.digest_threshold <= leaving.before.score
    assert result.of(Change.TO_ALERT) == result.of(Change.TO_DIGEST) == []
    assert result.counts() == {Change.ENTERING: 2, Change.LEAVING: 1, Change.TO_ALERT: 0, Change.TO_DIGEST: 0}


def test_the_running_side_is_what_collection_decided(engine: Engine, tmp_path: Path, server: LocalServer) -> None:
    archive = data.build(engine, tmp_path, server)
    running = load_config(archive.running)
    # Compared with itself nothing changes; compared with a configuration that keeps nothing but mentions, and
    # them in the digest, every kept item changes, with the score collection stored: both sides judge as the
    # pipeline judges.
    assert what_if(engine, running, running, now=NOW, days=30).changes == []
    strict = {"digest_threshold": 100, "alert_threshold": 100, "mention_decision": "digest"}
    result = what_if(engine, running, _other(tmp_path, server, strict), now=NOW, days=30)
    with session_scope(engine) as session:
        stored = {
            item.id: (score.score, score.decision)
            for item, score in session.exec(select(Item, Score).join(Score)).all()
            if item.collected_at > NOW - timedelta(days=30)
        }
    changed = {c.item_id: (c.before.score, c.before.decision) for c in result.changes}
    kept = {item_id: judged for item_id, judged in stored.items() if judged[1] != "drop"}
    assert changed == kept
    assert len(kept) == 3  # the pediatrics service and Laval leave; the collective goes to the digest
    assert [c.item_id for c in result.of(Change.TO_DIGEST)] == [archive.ids[data.MENTION["link"]]]


def test_thresholds_move_items_between_alert_and_digest(engine: Engine, tmp_path: Path, server: LocalServer) -> None:
    archive = data.build(engine, tmp_path, server)
    running = load_config(archive.running)
    lower = what_if(engine, running, _other(tmp_path, server, {"alert_threshold": 50}), now=NOW, days=30)
    [promoted] = lower.changes
    assert promoted.change == Change.TO_ALERT and promoted.url == data.PEDIATRICS["link"]
    assert promoted.after.alert_reason == f"une des plus hautes notes ({promoted.after.score})"


def test_the_daily_budget_is_replayed_and_never_holds_the_collective_back(
    engine: Engine, tmp_path: Path, server: LocalServer
) -> None:
    archive = data.build(engine, tmp_path, server)
    running = load_config(archive.running)
    result = what_if(engine, running, _other(tmp_path, server, {"daily_budget": 0}), now=NOW, days=30)
    [held] = result.changes
    assert held.change == Change.TO_DIGEST and held.url == data.LAVAL["link"]
    assert held.before.alert_reason == "fermeture annoncée (« urgences fermées »)"
    assert held.after.alert_reason is None
    assert held.after.held and not held.before.held


def test_the_window_counts_back_from_the_injected_now(engine: Engine, tmp_path: Path, server: LocalServer) -> None:
    archive = data.build(engine, tmp_path, server)
    running, other = load_config(archive.running), _other(tmp_path, server)
    # Forty-one days back, the old item about physiotherapists enters too; a day before it was collected, nothing.
    wide = what_if(engine, running, other, now=NOW, days=41)
    assert data.OLD_KINE["link"] in [c.url for c in wide.of(Change.ENTERING)]
    assert what_if(engine, running, other, now=data.LONG_AGO, days=1).examined == 0
    with pytest.raises(ValueError, match="de 1 à 366"):
        what_if(engine, running, other, now=NOW, days=0)


# --- the command --------------------------------------------------------------------------------------------


@pytest.fixture
def archive_workspace(
    tmp_path: Path, migrated_sqlite: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> Path:
    engine = make_engine(f"sqlite:///{migrated_sqlite}")
    archive = data.build(engine, tmp_path, server)
    engine.dispose()
    data.write_config(tmp_path / "autre.yaml", data.other_topic_data(server))
    monkeypatch.setenv("WATCHER_CONFIG", str(archive.running))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'veille.db'}")
    return tmp_path


def test_preview_archive_prints_counts_then_lists_at_80_columns(archive_workspace: Path) -> None:
    other = archive_workspace / "autre.yaml"
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        app, [*AT_NOW, "preview", "--archive", "--days", "30", "--config", str(other)]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    text = "\n".join(line.rstrip() for line in lines)
    counts = [
        "2 entrent (écartés → synthèse ou alerte)",
        "1 sortent (→ écartés)",
        "0 deviennent des alertes (synthèse → alerte)",
        "0 ne sont plus des alertes (alerte → synthèse)",
    ]
    positions = [text.index(count) for count in counts]
    assert positions == sorted(positions)
    assert "sur 5 articles collectés du 24/10/2026 08:00 au 23/11/2026 07:00" in text.replace("\n", " ")
    lists = text[positions[-1] :]
    assert (
        lists.index("Entrent (écartés") < lists.index(data.KINE_TITLE["title"]) < lists.index(data.KINE_LEAD["title"])
    )
    assert lists.index("Sortent (→ écartés)") < lists.index(data.PEDIATRICS["title"])
    assert "écarté 0 → synthèse 59" in lists
    assert data.LAVAL["title"] not in text


def test_preview_archive_json_gives_one_line_per_change(archive_workspace: Path) -> None:
    other = archive_workspace / "autre.yaml"
    result = CliRunner().invoke(app, [*AT_NOW, "preview", "--archive", "--json", "--config", str(other)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(row["change"], row["url"]) for row in rows] == [
        ("entering", data.KINE_TITLE["link"]),
        ("entering", data.KINE_LEAD["link"]),
        ("leaving", data.PEDIATRICS["link"]),
    ]
    assert rows[0]["before"] == {
        "score": 0,
        "decision": "drop",
        "topics": [],
        "alert_reason": None,
        "held_by_budget": False,
    }
    assert rows[0]["after"]["decision"] == "digest" and rows[0]["after"]["topics"] == ["hopital"]


def test_a_bad_other_configuration_is_named_with_its_line(archive_workspace: Path) -> None:
    other = archive_workspace / "cassee.yaml"
    text = (archive_workspace / "autre.yaml").read_text(encoding="utf-8")
    other.write_text(text.replace("kinésithérapeutes: 60", "kinésithérapeutes: beaucoup"), encoding="utf-8")
    line = next(n for n, row in enumerate(other.read_text(encoding="utf-8").splitlines(), 1) if "beaucoup" in row)
    result = CliRunner().invoke(app, [*AT_NOW, "preview", "--archive", "--config", str(other)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"Erreur : {other}, ligne {line}, ")
    assert "topics.hopital.terms.kinésithérapeutes : nombre entier attendu, reçu « beaucoup »" in first
    assert "Traceback" not in result.output
