"""Shared fixtures: the corpus, a local HTTP server, databases (SQLite and PostgreSQL), a test config."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from store.db import make_engine, upgrade
from tests.localserver import LocalServer
from watcher.config import Config, SourceConfig, load_config

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(os.environ.get("VEILLE_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
POSTGRES_ADMIN_URL = os.environ.get("VEILLE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# The CLI's rich consoles are made when watcher.cli is imported, and a COLUMNS present then fixes their width
# for the whole session: tests that set their own width (monkeypatch.setenv("COLUMNS", …)) would be ignored.
# pytest-xdist's workers start with COLUMNS=80; without it the consoles read the variable at each print.
os.environ.pop("COLUMNS", None)


# Left in the working tree by Python and the tools themselves, not by what the tests run.
_TOOL_LEFTOVERS = ("__pycache__/", ".venv/", ".egg-info/", ".ruff_cache/", ".pytest_cache/")


def _stray_files() -> set[str]:
    """Files git does not track, ignored ones included (data/, demo-out/…), in the repository."""
    listing = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    paths = {line[3:] for line in listing.splitlines() if line.startswith(("??", "!!"))}
    return {path for path in paths if not any(part in f"/{path}" for part in _TOOL_LEFTOVERS)}


@pytest.fixture(scope="session", autouse=True)
def suite_writes_under_tmp_path_only() -> Iterator[None]:
    """Every file a test writes goes under its tmp_path: after the suite, the repository is as it was."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        yield  # an unpacked archive: nothing to compare with
        return
    before = _stray_files()
    yield
    left = sorted(_stray_files() - before)
    assert not left, f"the test suite wrote into the repository instead of tmp_path: {left}"


def _sleep_with_select(seconds: float) -> None:
    select.select([], [], [], seconds)


# Under libfaketime 0.9.10 (Debian 12) with the monotonic clock left alone (`faketime --exclude-monotonic`,
# how the suite runs at shifted dates, see .ci/run), Python ≥ 3.11's time.sleep fails with EINVAL: libfaketime
# moves the absolute deadline of clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) as if that clock were faked
# (wolfcw/libfaketime#426). select() waits the same, with a relative timeout. Elsewhere time.sleep is kept.
try:
    time.sleep(0.0001)
except OSError:
    time.sleep = _sleep_with_select


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"shared corpus absent ({CORPUS_DIR}); set VEILLE_CORPUS to run corpus tests")
    return CORPUS_DIR


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


@pytest.fixture(scope="session")
def real_config() -> Config:
    """The collective's own sources.yaml: its themes and watchlist are what tests judge with."""
    return load_config(REPO_ROOT / "sources.yaml")


def config_with_sources(base: Config, *sources: dict[str, object]) -> Config:
    """The real themes, watchlist and thresholds, with the given test sources."""
    return base.model_copy(update={"sources": [SourceConfig.model_validate(source) for source in sources]})


def _postgres_available() -> str | None:
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("select 1"))
        admin.dispose()
    except Exception as exc:  # any failure means "not here", with the reason shown in the skip
        return f"PostgreSQL indisponible ({POSTGRES_ADMIN_URL}) : {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file, made once per test process: a test copies it rather than migrating anew."""
    path = tmp_path_factory.mktemp("modele-sqlite") / "veille.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closed, the file holds everything (no -wal beside it)
    return path


@pytest.fixture
def migrated_sqlite(tmp_path: Path, sqlite_template: Path) -> Path:
    """This test's own migrated, empty SQLite database, at tmp_path/veille.db."""
    return Path(shutil.copyfile(sqlite_template, tmp_path / "veille.db"))


@contextmanager
def _postgres_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database on the test server (a copy of `template`, if given), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_url(database: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated, empty PostgreSQL database, made once per test process, that each test's database copies."""
    reason = _postgres_available()
    if reason:
        if os.environ.get("VEILLE_REQUIRE_POSTGRES"):
            pytest.fail(f"{reason} alors que VEILLE_REQUIRE_POSTGRES est défini (CI)")
        pytest.skip(reason)
    with _postgres_database("veille_modele") as name:
        engine = make_engine(_postgres_url(name))
        upgrade(engine)
        engine.dispose()  # CREATE DATABASE … TEMPLATE refuses a template that anyone is connected to
        yield name


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{request.getfixturevalue('migrated_sqlite')}")
        yield engine
        engine.dispose()
        return
    with _postgres_database("veille_test", template=request.getfixturevalue("postgres_template")) as name:
        engine = make_engine(_postgres_url(name))
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def sqlite_engine(migrated_sqlite: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{migrated_sqlite}")
    yield engine
    engine.dispose()
