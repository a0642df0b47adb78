"""`watcher --now … web` and `watcher --now … demo --web`: the desk's clock starts at --now and runs on from it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from store.db import make_engine, session_scope
from store.models import LoginAttempt
from store.users import get_user
from tests.clock import AT_NOW, NOW
from tests.web import desk_process
from tests.web.desk_process import demo_password, free_port, running
from watcher.cli import app
from watcher.demo.runner import DEMO_DATABASE

PASSWORD = "un long mot de passe"
PARIS = ZoneInfo("Europe/Paris")
PARIS_DAY = NOW.astimezone(PARIS).date()  # the replayed day, 23 November 2026


def _attempts(database: Path) -> list[datetime]:
    with session_scope(make_engine(f"sqlite:///{database}")) as session:
        return list(session.exec(select(LoginAttempt.at).order_by(LoginAttempt.id)))


def test_the_desk_runs_from_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "veille.db"
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{database}")
    added = CliRunner().invoke(app, [*AT_NOW, "users", "add", "magali", "--role", "admin"], input=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    port = free_port()
    with running([*AT_NOW, "web", "--port", str(port)], {"WATCHER_DATABASE_URL": f"sqlite:///{database}"}, tmp_path):
        desk_process.signed_in(port, "magali", PASSWORD).close()
        desk_process.signed_in(port, "magali", PASSWORD).close()
    first, second = _attempts(database)
    # Each sign-in is stamped on the replayed day, at its own moment: the clock started at --now and ran on.
    assert NOW <= first < second
    assert first.astimezone(PARIS).date() == second.astimezone(PARIS).date() == PARIS_DAY


def test_the_demo_desk_runs_from_the_demo_s_now(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "demo-out"
    with running([*AT_NOW, "demo", "--web", "--port", str(port), "--out", str(out)], {}, tmp_path) as demo:
        password = demo_password(demo)
        assert password, "the demo prints its one-time password"
        client = desk_process.signed_in(port, "demo", password)
        # « Aujourd'hui » is the last 24 hours before the desk's now: the demo's articles, collected at --now.
        assert "Laval : les urgences fermées la nuit faute de médecins" in client.get("/").text
        client.close()
    with session_scope(make_engine(f"sqlite:///{out / DEMO_DATABASE}")) as session:
        account = get_user(session, "demo")
        assert account is not None
        created = account.created_at
    [signed_in] = _attempts(out / DEMO_DATABASE)
    assert NOW <= created < signed_in
    assert signed_in.astimezone(PARIS).date() == PARIS_DAY
