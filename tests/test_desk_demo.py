"""Must show, on the demo snapshot: search for « urgences fermées » and the press register exported (md, csv, xlsx)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from typer.testing import CliRunner

from store import desk as store_desk
from store.db import make_engine, session_scope
from store.search import HIGHLIGHT_START
from tests.clock import AT_NOW, NOW
from tests.conftest import REPO_ROOT
from watcher.cli import app
from watcher.config import Config
from watcher.demo.runner import DEMO_DATABASE, run_demo
from watcher.search import search

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_database(real_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo collected once; each test works on its own copy."""
    return run_demo(real_config, tmp_path_factory.mktemp("demo"), now=NOW).database


@pytest.fixture
def demo_db(demo_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / DEMO_DATABASE
    shutil.copy(demo_database, copy)
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("WATCHER_CONFIG", str(REPO_ROOT / "sources.yaml"))
    monkeypatch.setenv("USER", "magali")
    return copy


def _run(*args: str) -> str:
    result = runner.invoke(app, [*AT_NOW, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_search_on_the_demo_data(demo_db: Path) -> None:
    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        with_accents = search(engine, "urgences fermées")
        without = search(engine, "urgences fermees")
        with session_scope(engine) as session:
            indexed = session.execute(text("SELECT count(*) FROM item_search")).scalar_one()
            items = session.execute(text("SELECT count(*) FROM item")).scalar_one()
    finally:
        engine.dispose()
    assert indexed == items  # the pipeline indexed every item it stored
    assert [hit.item.id for hit in with_accents] == [hit.item.id for hit in without]
    titles = [hit.item.title for hit in with_accents]
    assert "Laval : les urgences fermées la nuit faute de médecins" in titles
    assert "Mayenne : les urgences de Laval fermées la nuit pendant deux semaines" in titles
    assert all(HIGHLIGHT_START in hit.snippet for hit in with_accents)
    output = _run("search", "urgences fermees")
    assert output.startswith(f"{len(with_accents)} résultats pour « urgences fermees »")
    assert "Laval : les urgences fermées la nuit faute de médecins" in output


def _prepare_register(tmp_path: Path) -> None:
    listing = _run("mentions", "--status", "à valider")
    assert "5 parutions" in listing  # « Action Patients » is named in 5 distinct demo items
    with session_scope(make_engine()) as session:
        # Ids follow the order the sources were collected in (concurrently): find entries by title.
        ids = {mention.title: mention.id for mention in store_desk.mentions(session)}
    for title, number in ids.items():
        if title.startswith("« Les malades"):
            _run("mentions", "reject", str(number))
        elif not title.startswith("PLFSS 2027"):  # left « à valider »: not in the report
            _run("mentions", "validate", str(number))
    _run(
        "mentions",
        "add",
        "--outlet",
        "France Inter",
        "--date",
        "2026-12-02",
        "--title",
        "Le téléphone sonne : l'accès aux soins",
        "--type",
        "radio",
        "--spokesperson",
        "Danielle Vacher",
    )
    urgences = search(make_engine(), "urgences fermées")[0].item.id
    _run("flag", str(urgences), "--tribune", "--note", "Répondre sur la permanence des soins")
    _run(
        "tribunes",
        "set",
        str(urgences),
        "--status",
        "publiee",
        "--outlet",
        "Libération",
        "--url",
        "https://www.liberation.fr/tribune-urgences",
        "--title",
        "« Les urgences ne peuvent pas fermer la nuit »",
        "--date",
        "2026-11-24",
    )


def test_register_exported_from_the_demo_data(demo_db: Path, tmp_path: Path) -> None:
    _prepare_register(tmp_path)

    markdown = _run("mentions", "export", "--year", "2026", "--format", "md")
    assert markdown.startswith("# On parle de nous — 2026\n")
    assert "## Novembre 2026 (4)" in markdown  # 3 validated, plus the tribune published on 24 November
    assert "- **24/11** — *Libération* (presse écrite) : [« Les urgences ne peuvent pas fermer la nuit »]" in markdown
    assert "## Décembre 2026 (1)" in markdown
    assert "*France Inter* (radio)" in markdown
    assert "Danielle Vacher, présidente du collectif Action Patients" in markdown
    assert "« Les malades ne sont pas une variable" not in markdown  # rejected
    assert "PLFSS 2027" not in markdown  # still to be validated

    csv_path = tmp_path / "registre.csv"
    _run("mentions", "export", "--year", "2026", "--format", "csv", "--out", str(csv_path))
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Mois",
        "Date",
        "Média",
        "Type",
        "Titre",
        "Lien",
        "Citation",
        "Porte-parole",
        "Statut",
        "Origine",
        "Note",
    ]
    assert len(rows) == 1 + 5
    assert {row[0] for row in rows[1:]} == {"novembre 2026", "décembre 2026"}
    assert "Dépêches Express" in {row[2] for row in rows[1:]}
    tribune = next(row for row in rows if row[9] == "tribune du collectif")
    assert tribune[2:6] == [
        "Libération",
        "presse écrite",
        "« Les urgences ne peuvent pas fermer la nuit »",
        "https://www.liberation.fr/tribune-urgences",
    ]

    comma = tmp_path / "registre-virgule.csv"
    _run("mentions", "export", "--year", "2026", "--format", "csv", "--sep", ",", "--out", str(comma))
    assert next(csv.reader(io.StringIO(comma.read_text(encoding="utf-8-sig"))))[:3] == ["Mois", "Date", "Média"]

    xlsx = tmp_path / "registre.xlsx"
    output = _run("mentions", "export", "--year", "2026", "--format", "xlsx", "--out", str(xlsx))
    assert f"Registre 2026 : 5 parutions → {xlsx}" in output
    sheet = load_workbook(xlsx).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert sheet.title == "On parle de nous 2026"
    assert list(values[0]) == rows[0]
    assert values[1][0] == "Novembre 2026" and sheet["A2"].font.bold  # the month heading
    entries = [row for row in values[1:] if row[1] is not None]
    assert sheet["B3"].number_format == "DD/MM/YYYY"
    as_text = [[row[0], row[1].strftime("%d/%m/%Y"), *row[2:]] for row in entries]
    assert as_text == [[cell or None for cell in row] for row in rows[1:]]
    assert any(row[0] == "Décembre 2026" and row[1] is None for row in values)


def test_register_export_refuses_an_unknown_format(demo_db: Path) -> None:
    result = runner.invoke(app, ["mentions", "export", "--year", "2026", "--format", "pdf"])
    assert result.exit_code == 1
    assert "format inconnu « pdf » (attendu : md, csv ou xlsx)" in result.output
