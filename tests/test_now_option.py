"""`watcher --now`: every command that reads « now » reads it there, never on the wall clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from store.db import make_engine, session_scope
from store.models import clock_from
from store.users import get_user
from tests.clock import AT_NOW, NOW
from watcher.cli import app

runner = CliRunner()


def test_a_running_clock_starts_at_its_instant_and_counts_the_seconds_since() -> None:
    counter = iter([100.0, 100.0, 102.5, 3700.0])  # seconds, as the monotonic counter would give them
    clock = clock_from(NOW, elapsed=lambda: next(counter))
    assert [clock(), clock(), clock()] == [NOW, NOW + timedelta(seconds=2.5), NOW + timedelta(hours=1)]


def test_users_commands_stamp_the_accounts_with_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'veille.db'}")
    added = runner.invoke(app, [*AT_NOW, "users", "add", "magali", "--role", "admin"], input="un long mot de passe\n")
    assert added.exit_code == 0, added.output
    later = NOW + timedelta(days=2)
    changed = runner.invoke(app, ["--now", later.isoformat(), "users", "passwd", "magali"], input="un autre mot\n")
    assert changed.exit_code == 0, changed.output
    with session_scope(make_engine()) as session:
        user = get_user(session, "magali")
        assert user is not None and (user.created_at, user.updated_at) == (NOW, later)
