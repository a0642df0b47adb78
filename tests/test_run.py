"""`watcher run`: the service collects on its own and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func
from sqlmodel import select

from store.db import make_engine, session_scope
from store.models import FetchAttempt, Item, Source
from tests.clock import NOW, frozen
from tests.conftest import REPO_ROOT
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.schedule import Service


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_service_collects_then_stops_cleanly(tmp_path: Path, server: LocalServer, stop_signal: int) -> None:
    # The service follows the clock, whatever the day: the feed's dates are fixed and in its past.
    server.route(
        "/feed.xml",
        rss("Test", [{"title": f"Article {n}", "link": f"https://t.test/{n}", "published": NOW - timedelta(hours=n)}
                     for n in range(5)]),
    )  # fmt: skip
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [{"name": "Test", "url": server.url("/feed.xml"), "interval": "15m"}]
    config = tmp_path / "sources.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'veille.db'}"
    env = {**os.environ, "WATCHER_CONFIG": str(config), "WATCHER_DATABASE_URL": database, "COLUMNS": "200"}

    service = subprocess.Popen(
        [sys.executable, "-m", "watcher", "run"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        engine = make_engine(database)
        deadline = time.monotonic() + 30
        stored = 0
        while time.monotonic() < deadline and stored < 5:
            time.sleep(0.2)
            try:
                with session_scope(engine) as session:
                    stored = session.exec(select(func.count()).select_from(Item)).one()
            except Exception:  # tables not migrated yet
                continue
        assert stored == 5
        service.send_signal(stop_signal)
        output, _ = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, output
    assert "service arrêté proprement" in output
    with session_scope(engine) as session:
        source = session.exec(select(Source)).one()
        assert source.lease_owner is None and source.next_check_at is not None
        assert source.last_success_at is not None
        assert source.next_check_at >= source.last_success_at + timedelta(minutes=15)  # its interval, not at once
        assert session.exec(select(func.count()).select_from(FetchAttempt)).one() == 1
    engine.dispose()


def test_service_delivers_alerts_to_slack(tmp_path: Path, server: LocalServer) -> None:
    from tests.fakeslack import FakeSlack
    from tests.test_pipeline import STRIKE

    server.route("/feed.xml", rss("Presse", [{**STRIKE, "published": NOW - timedelta(hours=1)}]))
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [{"name": "Presse", "url": server.url("/feed.xml"), "interval": "15m", "topics": ["greve"]}]
    data["alerts"].pop("quiet_hours", None)
    data["digest"]["slack_channel"] = None
    config = tmp_path / "sources.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'veille.db'}"
    with FakeSlack(list(data["alerts"]["channels"].values())) as slack:
        env = {**os.environ, "WATCHER_CONFIG": str(config), "WATCHER_DATABASE_URL": database, "COLUMNS": "200",
               "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.base_url}  # fmt: skip
        env.pop("WATCHER_SMTP_URL", None)
        service = subprocess.Popen(
            [sys.executable, "-m", "watcher", "run"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not slack.keys():
                time.sleep(0.2)
            service.send_signal(signal.SIGTERM)
            output, _ = service.communicate(timeout=30)
        finally:
            if service.poll() is None:
                service.kill()
    assert service.returncode == 0, output
    [message] = [m for m in slack.all_messages() if m["metadata"]]
    assert "Grève des médecins libéraux" in message["text"]
    assert slack.calls("chat.postMessage")[0]["channel"] == slack.channel_ids["veille-greves"]


def test_the_digest_of_the_day_is_that_of_paris(sqlite_engine: Engine, real_config: Config) -> None:
    days: list[date] = []
    # 23:30 UTC on 31 December is already 00:30 on New Year's Day in Paris.
    new_year_night = frozen(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    service = Service(sqlite_engine, real_config.model_copy(update={"sources": []}), days.append, clock=new_year_night)
    asyncio.run(service.digest())
    assert days == [date(2027, 1, 1)]
