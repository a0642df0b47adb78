"""The Alembic migrations build exactly the schema that store/models.py describes, on both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store.db import current_revision, make_engine, schema_is_current, upgrade
from store.search import is_search_object
from tests.conftest import REPO_ROOT


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                # The search tables (FTS5 / tsvector) are built by migration 0006, outside the models.
                "include_name": lambda name, kind, _parents: not (kind == "table" and is_search_object(name)),
            },
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before
    assert {"source", "item", "score", "story", "delivery", "fetch_attempt"} <= set(inspect(engine).get_table_names())


def test_the_known_head_is_alembic_s_head(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from store.db import MIGRATIONS_DIR, SCHEMA_HEAD, _alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'veille.db'}")
    assert ScriptDirectory.from_config(_alembic_config(engine)).get_current_head() == SCHEMA_HEAD, MIGRATIONS_DIR
    assert not schema_is_current(engine)  # a new database
    upgrade(engine, "0002")
    assert not schema_is_current(engine)
    upgrade(engine)
    assert schema_is_current(engine) and current_revision(engine) == SCHEMA_HEAD
    engine.dispose()


def test_a_service_migrates_its_database_in_a_child_process(tmp_path: Path) -> None:
    database = tmp_path / "veille.db"
    env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{database}", "WATCHER_WORKERS": "0"}
    env["WATCHER_CONFIG"] = str(REPO_ROOT / "sources.yaml")
    env["WATCHER_TICK_SECONDS"] = "3600"
    # -X importtime lists on stderr every module the service itself imports; its child's are not listed.
    log = (tmp_path / "imports.log").open("w")
    service = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "watcher", "run"],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=log, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not schema_is_current(make_engine(f"sqlite:///{database}")) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # the service's first tick
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=60)
        log.close()
    imports = (tmp_path / "imports.log").read_text()
    assert schema_is_current(make_engine(f"sqlite:///{database}"))
    imported = {line.rsplit("|", 1)[-1].strip() for line in imports.splitlines() if line.startswith("import time:")}
    assert "watcher.pipeline" in imported and "alembic" not in imported
