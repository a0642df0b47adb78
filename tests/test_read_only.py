"""Reads only read: every listing, health, search, stats and export command leaves the database as it was.

The database is the demo's, read with the collective's own sources.yaml, whose sources are not the
demo's: the case where `watcher sources health` used to write the configuration into the database and
pause every source the demo had collected. Its SQL dump (sqlite3 `iterdump`) is taken before and after
each command and compared.

Not covered, because they write by design: `collect`, `run`, `deliver`, `verdict`, `flag`, `tribunes set`,
`mentions add/validate/reject/import`, `sources enable`, `sources import-opml` (sources.yaml), `db upgrade`,
`db reindex`, `demo`, and `digest`, which records the stories of the day's digest (`digest_story`) so that
the next digests mark them « suite ».
"""

from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO_ROOT
from tests.feeds import rss
from watcher.cli import app
from watcher.config import load_config
from watcher.demo.runner import run_demo

runner = CliRunner()
CONFIG = REPO_ROOT / "sources.yaml"
PUBLISHED = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _dump(database: Path) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def _run(*args: str) -> str:
    result = runner.invoke(app, ["--config", str(CONFIG), *args])
    assert result.exit_code == 0, f"watcher {' '.join(args)}\n{result.output}"
    return result.output


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_demo(load_config(CONFIG), tmp_path_factory.mktemp("demo")).database


@pytest.fixture
def database(demo_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the demo's database, with a tribune, a verdict and a hand-added mention besides."""
    copy = tmp_path / "veille.db"
    source = sqlite3.connect(demo_database)
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("USER", "lectrice")
    connection = sqlite3.connect(copy)
    (item,) = connection.execute("SELECT min(id) FROM item").fetchone()
    connection.close()
    _run("flag", str(item), "--tribune", "--note", "Angle : les nuits")
    _run("verdict", str(item), "--topic", "hopital", "--yes")
    _run("mentions", "add", "--outlet", "RTL", "--date", "2026-12-02", "--title", "Journal de 8 h")
    yield copy


def _reads(tmp_path: Path) -> list[tuple[list[str], str]]:
    """Each read command, and a piece of what it must print (so that it is seen doing its work)."""
    feed = tmp_path / "feed.xml"
    feed.write_bytes(
        rss("Essai", [{"title": "Grève aux urgences", "link": "https://a.test/1", "published": PUBLISHED}])
    )
    return [
        (["items"], "articles"),
        (["items", "--topic", "hopital", "--since", "2020-01-01", "--limit", "5"], "5 articles"),
        (["search", "urgences fermées"], "résultats pour « urgences fermées »"),
        (["search", "URGENCES FERMEES", "--topic", "hopital", "--since", "2020-01-01"], "résultats pour"),
        (["search", "« aide médicale »"], "pour « « aide médicale » »"),
        (["rules", "stats"], "Règles : déclenchements"),
        (["sources", "check"], "Configuration valide"),
        (["sources", "list"], "sources"),
        (["sources", "health"], "Santé des sources"),
        (["sources", "health", "--en-panne"], "en panne sur"),
        (["sources", "coverage"], "Couverture des sources"),
        (["sources", "coverage", "--days", "30"], "Médias à ajouter"),
        (["sources", "export-opml"], "<opml"),
        (["sources", "export-opml", "--out", str(tmp_path / "sources.opml")], "sources.opml"),
        (["tribunes"], "Angle : les nuits"),
        (["tribunes", "--status", "à étudier"], "1 tribune « à étudier »"),
        (["mentions"], "RTL"),
        (["mentions", "--status", "validée", "--year", "2026"], "RTL"),
        (["mentions", "export", "--year", "2026"], "RTL"),
        (["mentions", "export", "--year", "2026", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx")], "r.xlsx"),
        (["export", "items", "--format", "json"], '"url"'),
        (["export", "items", "--since", "2020-01-01", "--out", str(tmp_path / "items.csv")], "items.csv"),
        (["preview", str(feed)], "Grève aux urgences"),
        (["revue", "list"], "0 article choisi"),
        (["revue", "build", "--out", str(tmp_path / "revue")], "feed.xml"),
        (["observatoire", "carte", "--year", "2026", "--out", str(tmp_path / "carte")], "map.svg"),
    ]


def test_reads_only_read(database: Path, tmp_path: Path) -> None:
    wrote = []
    for args, expected in _reads(tmp_path):
        before = _dump(database)
        output = _run(*args)
        assert expected in output, f"watcher {' '.join(args)}\n{output}"
        after = _dump(database)
        if after != before:
            changes = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)][2:8]
            wrote.append(f"watcher {' '.join(args)}: " + "\n    ".join(changes))
    assert wrote == []

    # The check sees a write: the same comparison around a command that writes.
    before = _dump(database)
    _run("verdict", "1", "--topic", "greve", "--no")
    assert _dump(database) != before


def test_a_search_before_the_index_is_complete_reads_only(database: Path) -> None:
    connection = sqlite3.connect(database)
    (item,) = connection.execute("SELECT id FROM item WHERE title LIKE '%urgences%' ORDER BY id LIMIT 1").fetchone()
    with connection:
        connection.execute("DELETE FROM item_search WHERE rowid = ?", (item,))
    connection.close()
    before = _dump(database)
    output = _run("search", "urgences")
    assert "1 article n’est pas encore dans l'index de recherche" in output
    assert _dump(database) == before
