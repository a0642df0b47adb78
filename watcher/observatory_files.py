"""The observatoire's files: one row per item (CSV, XLSX, JSON), and its year in counts as French tables.

The fields are those the issue names: `date`, `outlet`, `title`, `link`, `place` (`commune`, `departement`,
`region`, `code_insee`, with `code_departement`, `code_region` and `national`), `kind`, `story`, `validated`.
JSON nests `place` and lists `kind`; CSV and XLSX flatten the place into columns and join the kinds with « , ».
CSV is written as the register's is: a UTF-8 BOM for Excel, `;` between fields.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from watcher.exports import MONTH_ABBREVIATIONS, ExportError, excel_csv, new_sheet, set_widths
from watcher.losses import LOSS_KINDS
from watcher.observatory import KIND_LABELS, ObservatoryItem, ObservatorySummary
from watcher.place import gazetteer

FORMATS = ("csv", "xlsx", "json")
PLACE_FIELDS = ("commune", "departement", "region", "code_insee", "code_departement", "code_region", "national")
COLUMNS = ("id", "date", "outlet", "title", "link", *PLACE_FIELDS, "kind", "story", "validated", "corrected")


def _corrected(item: ObservatoryItem) -> list[str]:
    return (["place"] if item.place_corrected else []) + (["kind"] if item.kind_corrected else [])


def record(item: ObservatoryItem) -> dict[str, Any]:
    """One item as a JSON object."""
    return {
        "id": item.id,
        "date": item.published.date().isoformat(),
        "outlet": item.outlet,
        "title": item.title,
        "link": item.link,
        "place": item.place.as_json(),
        "kind": item.kind,
        "story": item.story,
        "validated": item.validated,
        "corrected": _corrected(item),  # what the coordinator corrected: « place », « kind »
    }


def _flat(item: ObservatoryItem) -> list[Any]:
    place = item.place.as_json()
    return [
        item.id,
        item.published.date().isoformat(),
        item.outlet,
        item.title,
        item.link,
        *(("oui" if place[name] else "non") if name == "national" else place[name] or "" for name in PLACE_FIELDS),
        ", ".join(item.kind),
        item.story if item.story is not None else "",
        "oui" if item.validated else "non",
        ", ".join(_corrected(item)),
    ]


def items_json(items: Sequence[ObservatoryItem]) -> str:
    return json.dumps([record(item) for item in items], ensure_ascii=False, indent=2) + "\n"


def items_csv(items: Sequence[ObservatoryItem], separator: str = ";") -> str:
    return excel_csv(COLUMNS, (_flat(item) for item in items), separator)


def items_xlsx(items: Sequence[ObservatoryItem], path: Path) -> None:
    workbook, sheet = new_sheet("Pertes de chances", COLUMNS)
    link_column = COLUMNS.index("link") + 1
    for item in items:
        row = _flat(item)
        row[COLUMNS.index("date")] = item.published.date()  # a real date: Excel sorts and filters it
        sheet.append(row)
        sheet.cell(row=sheet.max_row, column=2).number_format = "DD/MM/YYYY"
        sheet.cell(row=sheet.max_row, column=link_column).hyperlink = item.link
    set_widths(sheet, (8, 12, 24, 60, 40, 22, 22, 24, 11, 10, 10, 9, 34, 8, 8, 12))
    workbook.save(path)


def write_items(items: Sequence[ObservatoryItem], fmt: str, out: Path | None, default_name: str) -> str | None:
    """Write to `out`, or return the text for stdout; XLSX always goes to a file (`default_name` without one)."""
    if fmt == "xlsx":
        items_xlsx(items, out or Path(f"{default_name}.xlsx"))
        return None
    if fmt == "csv":
        content = items_csv(items)
    elif fmt == "json":
        content = items_json(items)
    else:
        raise ExportError(f"format inconnu « {fmt} » (attendu : {', '.join(FORMATS)})")
    if out is None:
        return content
    out.write_text(content, encoding="utf-8", newline="")
    return None


# --- the year in counts ------------------------------------------------------


def summary_tables(summary: ObservatorySummary) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, columns, rows) of each table `watcher observatoire summary` prints: régions by month, kinds by
    month, départements."""
    places = gazetteer()
    columns = ["", *MONTH_ABBREVIATIONS, "Total"]
    regions = [
        [places.regions[code].name, *(str(summary.by_month_region[m].get(code, 0)) for m in range(1, 13)), str(n)]
        for code, n in sorted(summary.by_region.items(), key=lambda pair: (-pair[1], places.regions[pair[0]].name))
    ]
    regions.append(["National", "", *([""] * 11), str(summary.national)])
    regions.append(["Lieu inconnu", "", *([""] * 11), str(summary.unplaced)])
    regions.append(["Tous les articles", *(str(summary.by_month[m]) for m in range(1, 13)), str(summary.total)])
    kinds = [
        [KIND_LABELS[kind], *(str(summary.by_month_kind[m][kind]) for m in range(1, 13)), str(summary.by_kind[kind])]
        for kind in LOSS_KINDS
    ]
    departements = [
        [f"{places.departements[code].name} ({code})", str(n)]
        for code, n in sorted(summary.by_departement.items(), key=lambda pair: (-pair[1], pair[0]))
    ]
    return [
        ("Par région et par mois", ["Région", *columns[1:]], regions),
        ("Par type de perte et par mois", ["Type de perte", *columns[1:]], kinds),
        ("Par département", ["Département", "Articles"], departements),
    ]
