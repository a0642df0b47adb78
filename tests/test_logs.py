"""The service's log: French, one line per event, 24-hour ISO times, nothing in English from the libraries."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from tests.conftest import REPO_ROOT
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.logs import FrenchFormatter, _in_french

PARIS = ZoneInfo("Europe/Paris")
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d (info|attention|erreur|critique)\s+\S")
ENGLISH = ("Added job", "job store", "Scheduler", "Running job", "executed successfully", "raised an exception",
           "Traceback", "datetime.date(", "PosixPath(", "Digest(", "WindowCounts(")  # fmt: skip


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The root logger's output through the service's handler, as the service installs it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(FrenchFormatter(PARIS))
    handler.addFilter(_in_french)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


class Service:
    """Named as the real one: APScheduler calls its jobs « Service.tick »."""

    def __init__(self) -> None:
        self.done = asyncio.Event()

    async def tick(self) -> None:
        try:
            raise ValueError("flux illisible")
        finally:
            self.done.set()


def test_apscheduler_speaks_french_or_not_at_all(log_lines: io.StringIO) -> None:
    async def scenario() -> None:
        service = Service()
        scheduler = AsyncIOScheduler(timezone=PARIS)
        # A run time in the past: the job runs at once (the date is the test's, not the clock's).
        scheduler.add_job(
            service.tick, DateTrigger(datetime(2026, 12, 5, 7, 30, tzinfo=PARIS)), misfire_grace_time=None
        )
        scheduler.start()
        await asyncio.wait_for(service.done.wait(), 30)
        await asyncio.sleep(0)  # the executor logs the failure after the job's coroutine ends
        scheduler.shutdown(wait=False)

    asyncio.run(scenario())
    lines = log_lines.getvalue().splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    assert not [line for line in lines if any(word in line for word in ENGLISH)], lines
    # Its bookkeeping is left out; the failure is one line, saying which job and why.
    failure = [line.split(" ", 3)[3].strip() for line in lines if " erreur " in line]
    assert failure == ["tâche « collecte » en échec : ValueError : flux illisible"]


def test_an_exception_is_one_line_and_the_traceback_is_for_developers(
    log_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = logging.getLogger("watcher.pipeline")
    try:
        raise OSError(13, "Permission denied", "/srv/veille/data")
    except OSError:
        log.exception("source %s", "Le Quotidien")
    [line] = log_lines.getvalue().splitlines()
    assert LINE.match(line) and line.endswith(" erreur    source Le Quotidien : /srv/veille/data : accès refusé")

    monkeypatch.setenv("WATCHER_DEBUG", "1")
    try:
        raise KeyError("id")
    except KeyError:
        log.exception("envoi des alertes")
    debug = log_lines.getvalue().splitlines()[1:]
    assert debug[0].endswith("envoi des alertes : KeyError : 'id'") and debug[1] == "Traceback (most recent call last):"


def test_libraries_are_heard_from_for_errors_only_and_named(log_lines: io.StringIO) -> None:
    logging.getLogger("httpx").info('HTTP Request: GET http://x.test "HTTP/1.1 200 OK"')
    logging.getLogger("trafilatura.core").error("empty HTML tree: %s", "http://x.test")
    logging.getLogger("watcher.schedule").info("cycle terminé : 2 sources, 1 nouvel article")
    logging.getLogger("slack_sdk.socket_mode.builtin.client").warning("Failed to check the state of sock")
    logging.getLogger("asyncio").error("Task exception was never retrieved")
    lines = [line.split(" ", 2)[2] for line in log_lines.getvalue().splitlines()]
    assert lines == [
        "info      cycle terminé : 2 sources, 1 nouvel article",
        "erreur    asyncio : Task exception was never retrieved",
    ]


def test_the_service_logs_in_french_from_start_to_stop(tmp_path: Path, server: LocalServer) -> None:
    # `watcher run` as a person runs it: its whole output, service and libraries.
    published = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    server.route(
        "/feed.xml",
        rss("Test", [{"title": "Les urgences de Laval fermées la nuit", "link": "https://t.test/1",
                      "description": "L'hôpital ferme ses urgences la nuit.", "published": published}]),
    )  # fmt: skip
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [
        {"name": "Test", "url": server.url("/feed.xml"), "interval": "15m"},
        {"name": "Fermée", "url": server.url("/absent.xml"), "interval": "15m"},
    ]
    # Midnight: whatever the hour, the service catches up on the day's digest as it starts.
    data["digest"].update({"time": "00:00", "output_dir": str(tmp_path / "digests")})
    config = tmp_path / "sources.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {
        **os.environ,
        "WATCHER_CONFIG": str(config),
        "WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'veille.db'}",
        "WATCHER_WORKERS": "0",
        "COLUMNS": "200",
    }
    env.pop("SLACK_BOT_TOKEN", None)
    service = subprocess.Popen(
        [sys.executable, "-m", "watcher", "run"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert service.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            any(" synthèse du " in line for line in seen) and any("cycle terminé" in line for line in seen)
        ):
            seen.append(service.stdout.readline().rstrip("\n"))
        service.send_signal(signal.SIGTERM)
        rest, _ = service.communicate(timeout=60)
    finally:
        if service.poll() is None:
            service.kill()
    output = [*seen, *rest.splitlines()]
    assert service.returncode == 0, output
    logged = [line for line in output if LINE.match(line)]
    said = [line for line in output if line and not LINE.match(line)]
    # The two lines the command prints itself before the service starts logging.
    assert said == [
        f"Base : sqlite:///{tmp_path / 'veille.db'}",
        "SLACK_BOT_TOKEN absent : les alertes restent en attente dans la base.",
    ]
    assert not [line for line in output if any(word in line for word in ENGLISH)], output
    events = [line.split(" ", 3)[3].strip() for line in logged]
    assert events[0] == "service démarré : 2 sources, synthèse chaque jour à 00:00"
    assert f"Fermée : HTTP 404 : page introuvable pour {server.url('/absent.xml')}" in events
    assert "cycle terminé : 2 sources, 1 nouvel article" in events
    # A fresh database: the day's window (yesterday 00:00 → today 00:00) holds nothing, so no digest goes out,
    # and the log says why instead of sending an empty one.
    [digest] = [event for event in events if event.startswith("synthèse du ")]
    assert re.fullmatch(
        r"synthèse du \d\d/\d\d/\d{4} : aucune synthèse : rien n'a été collecté dans sa période", digest
    )
    assert any("non produite : aucun article collecté entre le" in event for event in events), events
    assert not (tmp_path / "digests").exists()
    assert events[-2:] == ["arrêt demandé : fin du travail en cours…", "service arrêté proprement"]
