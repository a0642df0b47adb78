"""`watcher --now … web` and `watcher --now … demo --web`: the desk's clock starts at --now and runs on from it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from store.db import make_engine, session_scope
from store.models import LoginAttempt
from store.users import get_user
from tests.clock import AT_NOW, NOW
from tests.conftest import REPO_ROOT
from watcher.cli import app
from watcher.demo.runner import DEMO_DATABASE

PASSWORD = "un long mot de passe"
PARIS = ZoneInfo("Europe/Paris")
PARIS_DAY = NOW.astimezone(PARIS).date()  # the replayed day, 23 November 2026


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _running(command: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "watcher", "-c", str(REPO_ROOT / "sources.yaml"), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "300", "WATCHER_WORKERS": "0", **env},
        cwd=cwd,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def _signed_in(port: int, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while True:
        try:
            page = client.get("/connexion")
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the desk never answered"
            time.sleep(0.2)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    answer = client.post("/connexion", data={"csrf": token.group(1), "nom": name, "mot_de_passe": password})
    assert answer.status_code == 303, answer.text
    return client


def _attempts(database: Path) -> list[datetime]:
    with session_scope(make_engine(f"sqlite:///{database}")) as session:
        return list(session.exec(select(LoginAttempt.at).order_by(LoginAttempt.id)))


def test_the_desk_runs_from_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "veille.db"
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{database}")
    added = CliRunner().invoke(app, [*AT_NOW, "users", "add", "magali", "--role", "admin"], input=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    port = _free_port()
    with _running([*AT_NOW, "web", "--port", str(port)], {"WATCHER_DATABASE_URL": f"sqlite:///{database}"}, tmp_path):
        _signed_in(port, "magali", PASSWORD).close()
        _signed_in(port, "magali", PASSWORD).close()
    first, second = _attempts(database)
    # Each sign-in is stamped on the replayed day, at its own moment: the clock started at --now and ran on.
    assert NOW <= first < second
    assert first.astimezone(PARIS).date() == second.astimezone(PARIS).date() == PARIS_DAY


def test_the_demo_desk_runs_from_the_demo_s_now(tmp_path: Path) -> None:
    port = _free_port()
    out = tmp_path / "demo-out"
    with _running([*AT_NOW, "demo", "--web", "--port", str(port), "--out", str(out)], {}, tmp_path) as demo:
        password = None
        assert demo.stdout is not None
        for line in demo.stdout:
            found = re.search(r"compte « demo », mot de passe « (\S+) »", line)
            if found:
                password = found.group(1)
                break
        assert password, "the demo prints its one-time password"
        client = _signed_in(port, "demo", password)
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
