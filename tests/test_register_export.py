"""The register's exports (Markdown, CSV, XLSX) of entries known only by their month, tribunes and communiqués."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook

from store.models import PressMention
from watcher import exports

NOW = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)


# --- the exports of a month-only entry -------------------------------------


def _mention(
    day: date, precision: str, outlet: str, title: str, medium: str = "presse", **extra: object
) -> PressMention:
    return PressMention(day=day, date_precision=precision, outlet=outlet, title=title, medium=medium,
                        status="validee", origin="import", created_at=NOW, **extra)  # fmt: skip


REGISTER = [
    _mention(date(2023, 6, 14), "day", "Le Monde", "Unissons nos voix", "tribune", url="https://lemonde.test/t", id=2),
    _mention(date(2023, 6, 1), "month", "Viva", "", spokesperson="Magali Leo", note="Entretien", id=1),
    _mention(date(2023, 10, 13), "day", "Action Patients", "La grève illimitée", "communique", id=3),
]


def test_a_month_only_entry_is_shown_as_its_month_in_markdown() -> None:
    assert exports.register_markdown(REGISTER, 2023) == (
        "# On parle de nous — 2023\n"
        "\n"
        "3 parutions : 1 citant le collectif, 1 tribune et 1 communiqué du collectif.\n"
        "\n"
        "## Juin 2023 (2)\n"
        "\n"
        "- **juin 2023** — *Viva* (presse écrite) — porte-parole : Magali Leo — note : Entretien\n"
        "- **14/06** — *Le Monde* (tribune) : [Unissons nos voix](https://lemonde.test/t)\n"
        "\n"
        "## Octobre 2023 (1)\n"
        "\n"
        "- **13/10** — *Action Patients* (communiqué) : La grève illimitée\n"
    )


def test_a_month_only_entry_is_shown_as_its_month_in_csv_and_xlsx(tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(exports.register_csv(REGISTER).removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][-1] == "Note"
    assert [row[:5] for row in rows[1:]] == [
        ["juin 2023", "juin 2023", "Viva", "presse écrite", ""],
        ["juin 2023", "14/06/2023", "Le Monde", "tribune", "Unissons nos voix"],
        ["octobre 2023", "13/10/2023", "Action Patients", "communiqué", "La grève illimitée"],
    ]
    assert rows[1][-1] == "Entretien" and rows[1][9] == "importée"

    path = tmp_path / "registre.xlsx"
    exports.register_xlsx(REGISTER, 2023, path)
    sheet = load_workbook(path).active
    assert sheet is not None
    assert sheet["A2"].value == "Juin 2023"  # the month heading
    assert (sheet["C3"].value, sheet["B3"].value.date(), sheet["B3"].number_format) == ("Viva", date(2023, 6, 1),
                                                                                           "MMMM YYYY")  # fmt: skip
    assert (sheet["C4"].value, sheet["B4"].number_format) == ("Le Monde", "DD/MM/YYYY")
