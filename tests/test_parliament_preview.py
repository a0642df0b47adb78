"""`watcher preview --json` on parliamentary documents: a `parliament` object per row; French errors naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO_ROOT
from watcher.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures" / "parliament"
PARLIAMENT_KEYS = ["kind", "chamber", "author", "group", "bill", "number", "outcome", "date"]


@pytest.fixture(autouse=True)
def real_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_CONFIG", str(REPO_ROOT / "sources.yaml"))


def preview_json(*paths: Path) -> list[dict]:
    result = runner.invoke(app, ["preview", "--json", *map(str, paths)])
    assert result.exit_code == 0, result.output
    assert "Ã" not in result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        (
            "parliament-zam/an/1408-CION-SOC/AS1.xml",
            ["amendement", "an", "M. Joël Aviragnet", "SOC", "PLFSS 2019", "AS1", "retiré", "2018-11-21"],
        ),
        (
            "parliament-regardscitoyens/anpy/questions/q14_14-47351QE.xml",
            ["question_ecrite", "an", "M. François Cornut-Gentille", "Les Républicains", None, "47351",
             "réponse publiée", "2014-01-07"],
        ),
        (
            "parliament-zam/senat/jeu_complet_2019-2020_139.csv",
            ["amendement", "senat", "M. Éblé", "groupe socialiste et républicain", "texte n° 139 (2019-2020)",
             "I-744", "en attente de recevabilité financière", "2019-11-20"],
        ),
        (
            "parliament-zam/senat/doslegplfss2019.xml",
            ["rapport", "senat", "M. Alain Joyandet", None, "PLFSS 2019", "108", None, "2018-11-06"],
        ),
        (
            "parliament-zam/an/dossier-DLR5L15N36030-plfss2018.json",
            ["rapport", "an", None, None, "PLFSS 2018", "316", None, "2017-10-19"],
        ),
    ],
)  # fmt: skip
def test_preview_json_types_each_fixture(corpus: Path, relative: str, expected: list) -> None:
    rows = preview_json(corpus / relative)
    typed = [row["parliament"] for row in rows]
    assert all(list(fields) == PARLIAMENT_KEYS for fields in typed)
    assert dict(zip(PARLIAMENT_KEYS, expected, strict=True)) in typed


def test_non_parliamentary_rows_have_null_parliament(corpus: Path) -> None:
    rows = preview_json(corpus / "rss-fr-press-2025/feeds/france-info-france.xml", FIXTURES / "an-agenda.ics")
    press = [row for row in rows if row["source"] != "Assemblée nationale — agenda"]
    assert press and all(row["parliament"] is None for row in press)
    agenda = [row for row in rows if row["source"] == "Assemblée nationale — agenda"]
    assert [row["parliament"]["kind"] for row in agenda] == ["agenda", "agenda"]


def test_chamber_rss_is_recognised_from_its_channel_link() -> None:
    [row] = preview_json(FIXTURES / "an-documents.rss")
    assert row["parliament"] == {
        "kind": "rapport", "chamber": "an", "author": "M. Paul Exemple", "group": None, "bill": None,
        "number": "1999", "outcome": None, "date": "2026-10-21",
    }  # fmt: skip


def test_a_whole_an_folder_previews_with_its_discussion_list(corpus: Path) -> None:
    rows = preview_json(*sorted((corpus / "parliament-zam/an/269").glob("*.xml")))
    assert len(rows) == 8  # 8 amendments; liste.xml lends its labels
    by_number = {row["parliament"]["number"]: row["parliament"] for row in rows}
    assert by_number["177"]["group"] == "Les Républicains" and by_number["192"]["outcome"] == "non soutenu"


def test_preview_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "AS9.xml"
    broken.write_text('<?xml version="1.0"?><amendement><numero>9', encoding="utf-8")
    result = runner.invoke(app, ["preview", "--json", str(broken)])
    assert result.exit_code != 0
    assert "AS9.xml : XML illisible" in result.output
    empty = tmp_path / "vide.csv"
    empty.write_bytes("sep=\r\nNuméro\tAuteur\tSort\r\n".encode("iso-8859-1"))
    result = runner.invoke(app, ["preview", "--json", str(empty)])
    assert result.exit_code != 0 and "vide.csv : aucun document parlementaire lisible" in result.output
