"""WATCHER_DATABASE_URL as people write it, and its failures as one French line with the password masked."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from store.db import DatabaseUrlError, make_engine, normalised_url, redacted
from tests.conftest import REPO_ROOT
from watcher.cli import app
from watcher.failures import database_failure

SECRET = "s3cr3t-p@ss"


def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("postgres://veille:pw@db:5432/veille", "postgresql+psycopg://veille:pw@db:5432/veille"),
        ("postgresql://veille:pw@db/veille", "postgresql+psycopg://veille:pw@db/veille"),
        ("POSTGRES://veille@db/veille", "postgresql+psycopg://veille@db/veille"),
        ("postgresql+psycopg://veille@db/veille", "postgresql+psycopg://veille@db/veille"),
        (" sqlite:///data/veille.db ", "sqlite:///data/veille.db"),
    ],
)
def test_the_usual_postgres_spellings_mean_psycopg(written: str, used: str) -> None:
    assert normalised_url(written) == used


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql+psycopg://veille:{SECRET}@db:5432/veille", "postgresql+psycopg://veille:***@db:5432/veille"),
        (f"postgresql://veille:{SECRET}@db:port/veille", "postgresql://veille:***@db:port/veille"),  # unparseable
        (f"postgresql://veille@db/veille?password={SECRET}&sslmode=require", "postgresql://veille@db/veille?password=***&sslmode=require"),
        ("sqlite:///data/veille.db", "sqlite:///data/veille.db"),
    ],
)  # fmt: skip
def test_a_password_is_never_shown(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_urls_that_name_no_usable_database() -> None:
    cases = {
        "pas une adresse": ("syntax", None),
        f"postgresql://veille:{SECRET}@db:port/veille": ("syntax", None),
        "oracle+nimportequoi://veille@db/veille": ("dialect", "oracle"),
        f"postgresql://veille:{SECRET}@db/veille": ("at_sign", None),
        f"mysql://veille:{SECRET.replace('@', '%40')}@db/veille": ("driver", "MySQLdb"),
    }
    for url, (problem, name) in cases.items():
        with pytest.raises(DatabaseUrlError) as raised:
            make_engine(url)
        assert (raised.value.problem, raised.value.name) == (problem, name), url
        assert SECRET not in str(raised.value)
    assert database_failure(raised.value, raised.value.url) == (
        "base de données mysql://veille:***@db/veille : le module Python « MySQLdb » n'est pas installé. "
        "Pour y remédier : écrivez postgresql://… ou sqlite:///…."
    )


def test_an_unreachable_server_in_one_line() -> None:
    port = closed_port()
    url = f"postgresql+psycopg://veille:{SECRET.replace('@', '%40')}@127.0.0.1:{port}/veille"
    with pytest.raises(Exception) as raised, make_engine(url).connect():
        pass
    assert database_failure(raised.value, url) == (
        f"base de données postgresql+psycopg://veille:***@127.0.0.1:{port}/veille : connexion refusée par "
        f"127.0.0.1, port {port}. Vérifiez que le serveur PostgreSQL est démarré et que WATCHER_DATABASE_URL "
        "donne le bon hôte et le bon port."
    )


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("des notes, pas une base\n" * 200, encoding="utf-8")
    url = f"sqlite:///{text}"
    with pytest.raises(Exception) as raised, make_engine(url).connect() as connection:
        connection.exec_driver_sql("select 1 from item")
    assert database_failure(raised.value, url) == (
        f"base de données {url} : ce fichier n'est pas une base SQLite. Vérifiez WATCHER_DATABASE_URL."
    )


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_postgres_scheme_works_from_the_command_line(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: « NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:postgres ».
    written = engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgres://", 1)
    assert written.startswith("postgres://")
    monkeypatch.setenv("WATCHER_DATABASE_URL", written)
    monkeypatch.setenv("WATCHER_CONFIG", str(REPO_ROOT / "sources.yaml"))
    upgraded = CliRunner().invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output.startswith("Base à jour (révision ") and "postgresql+psycopg://" in upgraded.output
    listed = CliRunner().invoke(app, ["items"])
    assert listed.exit_code == 0 and "0 articles" in listed.output
    unknown = written.rsplit("/", 1)[0] + "/veille_absente"
    monkeypatch.setenv("WATCHER_DATABASE_URL", unknown)
    missing = CliRunner().invoke(app, ["items"])
    assert missing.exit_code == 1
    assert missing.output == (
        f"Erreur : base de données {redacted(normalised_url(unknown))} : la base « veille_absente » n'existe pas "
        "sur ce serveur. Créez-la (createdb veille_absente) ou corrigez son nom dans WATCHER_DATABASE_URL.\n"
    )
