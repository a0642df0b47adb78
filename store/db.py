"""Engine, sessions and schema migrations."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, create_engine

DATABASE_URL_ENV_VAR = "WATCHER_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///data/veille.db"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


# Heroku, libpq and most hosting panels write `postgres://` or `postgresql://`; SQLAlchemy reads the first as an
# unknown dialect and the second as psycopg2, which is not installed: both mean the psycopg (3) driver here.
_POSTGRES_SCHEME = re.compile(r"^postgres(?:ql)?://", re.IGNORECASE)
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:).*@")  # up to the last @: a password may hold one
_PASSWORD_IN_QUERY = re.compile(r"([?&]password=)[^&\s]*", re.IGNORECASE)


def normalised_url(url: str) -> str:
    return _POSTGRES_SCHEME.sub("postgresql+psycopg://", url.strip(), count=1)


def database_url() -> str:
    return normalised_url(os.environ.get(DATABASE_URL_ENV_VAR) or DEFAULT_DATABASE_URL)


def redacted(url: str) -> str:
    """The URL with its password hidden, for logs and messages; also a URL SQLAlchemy cannot parse."""
    return _PASSWORD_IN_QUERY.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1***@", url, count=1))


def _configure_sqlite(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the digest read while a collection cycle writes; busy_timeout makes
    # a second writer wait instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # pysqlite opens transactions itself, lazily, and not before a SAVEPOINT: a transaction whose first
    # write is a SAVEPOINT (a batch is written in one) was committed by its RELEASE, so a crash right after left an
    # item without its score. SQLAlchemy takes over: no implicit transactions, an explicit BEGIN below.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _begin_sqlite(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a second writer waits (busy_timeout) instead of
    # failing with « database is locked » when its read snapshot cannot be upgraded to a write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class DatabaseUrlError(ValueError):
    """A URL that names no database this installation can open.

    `problem` is "syntax" (not a URL), "at_sign" (an « @ » left as is in the password), "dialect" (an unknown kind
    of database) or "driver" (its Python driver, `name`, is not installed); the command line words it for the user.
    """

    def __init__(self, url: str, problem: str, name: str | None = None):
        super().__init__(f"{problem}: {redacted(url)}")
        self.url, self.problem, self.name = url, problem, name


# Without it, libpq waits for the operating system (minutes) when the server's host does not answer.
POSTGRES_CONNECT_TIMEOUT = 10


def make_engine(url: str | None = None) -> Engine:
    url = normalised_url(url) if url else database_url()
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseUrlError(url, "syntax") from None
    if parsed.host and "@" in parsed.host:  # the password's « @ » was taken as the end of the password
        raise DatabaseUrlError(url, "at_sign")
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(engine, "connect", _configure_sqlite)
            event.listen(engine, "begin", _begin_sqlite)
            return engine
        connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": POSTGRES_CONNECT_TIMEOUT}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except NoSuchModuleError:
        raise DatabaseUrlError(url, "dialect", parsed.get_backend_name()) from None
    except ImportError as exc:
        raise DatabaseUrlError(url, "driver", exc.name or parsed.get_driver_name()) from None


def configure_models() -> None:
    """Finish the ORM's set-up of every model now, rather than at the first query.

    That set-up writes to every mapper, attribute and column. A process about to fork workers does it first: the
    workers then share those pages with it, where each would otherwise write its own copy of them (about 5 MB of
    `watcher run`'s memory, `bench/rss.py`)."""
    configure_mappers()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# Where `upgrade` leads; tests/test_migrations.py checks it against Alembic's own head. Knowing it lets a command find
# its database current without loading Alembic and the migration scripts (about 10 MB, and a tenth of a second).
SCHEMA_HEAD = "0021"


def schema_is_current(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
    except DBAPIError:  # no alembic_version table: a new database
        return False


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


MIGRATION_LOCK_KEY = 5_171_999  # any constant: the advisory lock that serialises migrations


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and schema_is_current(engine):
        return
    from alembic import command

    if engine.dialect.name != "postgresql":
        command.upgrade(_alembic_config(engine), revision)
        return
    # Several workers start together (docker-compose.yml) and each migrates first: one at a time.
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            command.upgrade(_alembic_config(engine), revision)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            lock.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


_T = TypeVar("_T")
_IN_CHUNK = 300  # bound parameters per IN list, well under SQLite's limit


def in_chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """`values` in slices short enough for one IN list each."""
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def dialect_insert(session: Session) -> Any:
    """The session's dialect's INSERT, the one with ON CONFLICT (SQLite and PostgreSQL both have it)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
