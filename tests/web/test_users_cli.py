"""`watcher users`: accounts created on the command line, the password read from standard input."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from store.db import make_engine, session_scope
from store.users import get_user
from tests.conftest import REPO_ROOT
from watcher.cli import app
from watcher.web import accounts

runner = CliRunner()
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'veille.db'}")
    monkeypatch.setenv("COLUMNS", "200")


def _sign_in(name: str, password: str) -> accounts.SignIn:
    with session_scope(make_engine()) as session:
        return accounts.sign_in(session, name, password, "127.0.0.1", NOW)


def test_users_add_list_passwd_disable() -> None:
    result = runner.invoke(app, ["users", "add", "magali", "--role", "admin"], input="un long mot de passe\n")
    assert result.exit_code == 0, result.output
    assert "Compte « magali » créé : admin" in result.output
    with session_scope(make_engine()) as session:
        user = get_user(session, "magali")
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert "un long mot de passe" not in user.password_hash
    assert _sign_in("magali", "un long mot de passe").user is not None
    listed = runner.invoke(app, ["users", "list"]).output
    assert "magali" in listed and "admin" in listed and "oui" in listed

    assert runner.invoke(app, ["users", "passwd", "magali"], input="un autre mot de passe\n").exit_code == 0
    assert _sign_in("magali", "un long mot de passe").user is None
    assert _sign_in("magali", "un autre mot de passe").user is not None

    result = runner.invoke(app, ["users", "disable", "magali"])
    assert result.exit_code == 0 and "Compte « magali » désactivé." in result.output
    assert _sign_in("magali", "un autre mot de passe").user is None
    assert "non" in runner.invoke(app, ["users", "list"]).output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "add", "x", "--role", "chef"], "un long mot de passe\n", "rôle inconnu « chef »"),
        (["users", "add", "x", "--role", "lecture"], "court\n", "mot de passe trop court"),
        (["users", "add", "x", "--role", "lecture"], "", "mot de passe attendu sur l'entrée standard"),
        (["users", "add", "deux mots", "--role", "lecture"], "un long mot de passe\n", "nom de compte invalide"),
        (["users", "disable", "personne"], "", "compte « personne » introuvable"),
    ],
)
def test_users_errors_are_french(args: list[str], stdin: str, message: str) -> None:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 1
    assert message in result.output


def test_an_account_is_created_once() -> None:
    assert (
        runner.invoke(app, ["users", "add", "anne", "--role", "lecture"], input="un long mot de passe\n").exit_code == 0
    )
    result = runner.invoke(app, ["users", "add", "anne", "--role", "admin"], input="un long mot de passe\n")
    assert result.exit_code == 1 and "le compte « anne » existe déjà" in result.output


def test_the_cli_hashes_no_password_when_it_loads() -> None:
    """`watcher run` and its workers import the CLI, and with it the accounts: a hash made at import took argon2's
    64 MiB in each of them (the service's peak memory, bench/rss.py, rose by that much)."""
    script = (
        "import argon2\n"
        "made = []\n"
        "real = argon2.PasswordHasher.hash\n"
        "argon2.PasswordHasher.hash = lambda self, *a, **k: made.append(1) or real(self, *a, **k)\n"
        "import watcher.cli\n"
        "print(len(made))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert loaded.stdout.strip() == "0"


def test_the_desk_makes_the_unknown_name_hash_before_its_first_sign_in(tmp_path: Path) -> None:
    """Made on the first sign-in instead, it would make that sign-in, of an unknown name, twice as slow as a known
    one's: the name's absence told by the clock."""
    script = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from store.db import make_engine, upgrade\n"
        "from watcher.config import load_config\n"
        "from watcher.web import accounts\n"
        "from watcher.web.app import create_app\n"
        "engine = make_engine(sys.argv[1])\n"
        "upgrade(engine)\n"
        "create_app(engine, load_config(), clock=lambda: datetime(2026, 11, 24, tzinfo=UTC), secret='x' * 32)\n"
        "print(accounts._dummy_hash.cache_info().currsize)\n"
    )
    database = f"sqlite:///{tmp_path / 'bureau.db'}"
    started = subprocess.run(
        [sys.executable, "-c", script, database], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert started.stdout.strip() == "1"
