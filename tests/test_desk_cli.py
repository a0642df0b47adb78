"""The desk's commands in French: flag, tribunes, mentions, search, export items."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.clock import AT_NOW
from tests.deskdata import ENTRIES, LAVAL, MENTION, collect_by_cli
from tests.localserver import LocalServer
from watcher.cli import app

runner = CliRunner()


@pytest.fixture
def ids(tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    return collect_by_cli(tmp_path, server, monkeypatch)


def _ok(*args: str) -> str:
    result = runner.invoke(app, [*AT_NOW, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _error(*args: str) -> str:
    result = runner.invoke(app, [*AT_NOW, *args])
    assert result.exit_code != 0, result.output
    return result.output


def test_tribune_commands(ids: dict[str, int]) -> None:
    laval = str(ids[LAVAL["link"]])
    assert "précisez ce que vous signalez : --tribune" in _error("flag", laval)
    assert f"Article {laval} ajouté aux tribunes (statut : à étudier)." in _ok("flag", laval, "--tribune")
    assert "déjà dans les tribunes (statut : à étudier), note mise à jour." in _ok(
        "flag", laval, "--tribune", "--note", "Angle : les nuits"
    )
    listing = _ok("tribunes", "--status", "a etudier")
    assert "1 tribune « à étudier »" in listing and "Angle : les nuits" in listing
    assert "date invalide « 1er décembre »" in _error("tribunes", "set", laval, "--deadline", "1er décembre")
    assert "statut de tribune inconnu « prête »" in _error("tribunes", "set", laval, "--status", "prête")
    assert "rien à changer" in _error("tribunes", "set", laval)
    output = _ok(
        "tribunes", "set", laval, "--status", "en rédaction", "--outlet", "Le Monde", "--deadline", "2026-12-01"
    )
    assert f"Tribune de l'article {laval} : en rédaction." in output
    assert "01/12/2026" in _ok("tribunes", "--status", "en_redaction")
    output = _ok("tribunes", "set", laval, "--status", "publiée", "--url", "https://lemonde.example/tribune")
    assert "Inscrite au registre « On parle de nous » (n° 2)." in output
    assert "23/11/2026" in _ok("mentions", "--status", "validée")  # published without --date: on the day of now
    assert "0 tribune « à étudier »" in _ok("tribunes", "--status", "à étudier")


def test_mention_commands(ids: dict[str, int]) -> None:
    listing = _ok("mentions")
    assert "1 parution" in listing and "à valider" in listing and "Danielle Vacher" in listing
    assert "Parution n° 1 validée : " in _ok("mentions", "validate", "1")
    assert "Parution n° 1 déjà validée." in _ok("mentions", "validate", "1")
    assert "Parution n° 1 rejetée" in _ok("mentions", "reject", "1")
    assert "parution n° 99 introuvable" in _error("mentions", "validate", "99")
    assert "--date : date invalide « 12/31/2026 »" in _error(
        "mentions", "add", "--outlet", "RTL", "--date", "12/31/2026", "--title", "Journal"
    )
    assert "type de média inconnu « podcast »" in _error(
        "mentions", "add", "--outlet", "RTL", "--date", "2026-12-02", "--title", "Journal", "--type", "podcast"
    )
    output = _ok("mentions", "add", "--outlet", "RTL", "--date", "2026-12-02", "--title", "Journal", "--type", "radio")
    assert "Parution n° 2 ajoutée au registre : RTL, 02/12/2026." in output
    assert "1 parution" in _ok("mentions", "--status", "validée", "--year", "2026")


def test_search_command(ids: dict[str, int]) -> None:
    output = _ok("search", "urgences fermees", "--topic", "hopital")
    assert output.startswith("1 résultat pour « urgences fermees »")
    assert LAVAL["title"] in output and f"article {ids[LAVAL['link']]}" in output
    assert "thème inconnu « sport »" in _error("search", "urgences", "--topic", "sport")
    assert "rien à chercher" in _error("search", "les")
    assert "0 résultat" in _ok("search", "urgences", "--since", "2099-01-01")


def test_export_items(ids: dict[str, int], tmp_path: Path) -> None:
    records = json.loads(_ok("export", "items", "--format", "json"))
    assert [record["url"] for record in records] == [str(entry["link"]) for entry in ENTRIES]  # oldest first
    mention = next(record for record in records if record["url"] == MENTION["link"])
    assert mention["mentions"] and mention["source"] == "Presse du bureau"
    assert {"id", "published", "title", "score", "decision", "topics", "why"} - set(mention) == {"why"}

    out = tmp_path / "articles.csv"
    output = _ok("export", "items", "--format", "csv", "--sep", ";", "--out", str(out))
    assert f"4 articles → {out}" in output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["title"] == LAVAL["title"]  # accents intact
    assert "format inconnu « xml »" in _error("export", "items", "--format", "xml")
    assert "--until (01/01/2026) est avant --since (01/02/2026 00:00)" in _error(
        "export", "items", "--since", "2026-02-01", "--until", "2026-01-01"
    )
    assert json.loads(_ok("export", "items", "--format", "json", "--until", "2000-01-01")) == []
