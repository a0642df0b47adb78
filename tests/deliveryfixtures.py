"""Shared pieces of the delivery tests: the demo snapshot collected into a test database, configs, SMTP."""

from __future__ import annotations

import asyncio
import shutil
import socket
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from tests.clock import NOW, frozen
from tests.conftest import REPO_ROOT
from watcher.config import Config, parse_config
from watcher.demo.dating import redated_copy
from watcher.demo.runner import SNAPSHOT_DIR, demo_sources
from watcher.demo.server import serve_directory
from watcher.pipeline import Collector, CycleReport

TOKEN = "xoxb-test-token"


def config_text(*, quiet_hours: bool = False) -> str:
    """The collective's sources.yaml, optionally without quiet hours (so tests can deliver at any hour)."""
    text = (REPO_ROOT / "sources.yaml").read_text(encoding="utf-8")
    if not quiet_hours:
        lines = [line for line in text.splitlines() if not line.strip().startswith("quiet_hours:")]
        text = "\n".join(lines) + "\n"
    return text


def load_test_config(*, quiet_hours: bool = False) -> Config:
    return parse_config(config_text(quiet_hours=quiet_hours))


_SQLITE_TEMPLATE: dict[str, Path] = {}


def collect_demo(engine: Engine, config: Config) -> tuple[Config, CycleReport | None]:
    """Collect the bundled snapshot (served on 127.0.0.1) into `engine`, as `watcher demo --now` does at NOW.

    On SQLite the first collection of the test session is kept as a template file
    and copied into later databases (the report is then None): same rows, less time.
    """
    if engine.dialect.name == "sqlite" and engine.url.database and "demo" in _SQLITE_TEMPLATE:
        target = Path(engine.url.database)
        engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(_SQLITE_TEMPLATE["demo"], target)
        return config.model_copy(update={"sources": demo_sources("http://127.0.0.1:9")}), None
    with (
        tempfile.TemporaryDirectory() as served,
        serve_directory(redated_copy(SNAPSHOT_DIR, Path(served), NOW)) as base_url,
    ):
        demo_config = config.model_copy(update={"sources": demo_sources(base_url)})
        collector = Collector(engine, demo_config, clock=frozen())
        collector.sync_sources()
        report = asyncio.run(collector.run_cycle())
    if engine.dialect.name == "sqlite" and engine.url.database:
        template = Path(tempfile.mkdtemp(prefix="veille-demo-")) / "demo.db"
        # A consistent single-file copy, WAL included; VACUUM cannot run inside the store's BEGIN IMMEDIATE.
        with sqlite3.connect(engine.url.database) as connection:
            connection.execute(f"VACUUM INTO '{template}'")
        _SQLITE_TEMPLATE["demo"] = template
    return demo_config, report


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        self.messages.append(message_from_bytes(content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, str]]:
    """A real aiosmtpd server on 127.0.0.1; yields its mailbox and the WATCHER_SMTP_URL to reach it."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def write_config(tmp_path: Path, *, quiet_hours: bool = False) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(config_text(quiet_hours=quiet_hours), encoding="utf-8")
    return path
