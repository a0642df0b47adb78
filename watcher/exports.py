"""Exports: the items of a period (CSV, JSON) and the « On parle de nous » register (Markdown, CSV, XLSX).

CSV files start with a UTF-8 BOM so that Excel reads the accents right; LibreOffice ignores it.
French Excel expects `;` between fields, hence the separator option.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from store.desk import ItemView
from store.models import DatePrecision, PressMention
from watcher.desk import MEDIUM_LABELS, MENTION_LABELS, ORIGIN_LABELS
from watcher.wording import counted

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# As a table's column or a chart's axis names them.
MONTH_ABBREVIATIONS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."
)  # fmt: skip
BOM = "\ufeff"


def excel_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], separator: str = ";") -> str:
    """A CSV that Excel opens with its accents: a BOM, `separator` between fields, CRLF line ends."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def new_sheet(title: str, columns: Sequence[str]) -> tuple[Workbook, Worksheet]:
    """A workbook of one sheet, its header row in bold and kept in view."""
    # Imported here: openpyxl weighs on the memory of `watcher run`, which never writes a spreadsheet.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return workbook, sheet


def set_widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


ITEM_FIELDS = (
    "id",
    "published",
    "collected",
    "source",
    "outlet",
    "title",
    "url",
    "summary",
    "score",
    "decision",
    "topics",
    "mentions",
    "member_mentions",
    "story",
)
REGISTER_COLUMNS = (
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
)


class ExportError(ValueError):
    """An export that cannot be written, phrased in French."""


# --- items -----------------------------------------------------------------


def item_record(view: ItemView, zone: ZoneInfo) -> dict[str, Any]:
    item, score = view.item, view.score
    return {
        "id": item.id,
        "published": item.published_at.astimezone(zone).isoformat(),
        "collected": item.collected_at.astimezone(zone).isoformat(),
        "source": view.source.name,
        "outlet": item.publisher or view.source.name,
        "title": item.title,
        "url": item.url,
        "summary": item.summary,
        "score": score.score if score else None,
        "decision": score.decision if score else None,
        "topics": list(score.topics) if score else [],
        "mentions": list(score.mentions) if score else [],
        "member_mentions": list(score.member_mentions) if score else [],
        "story": item.story_id,
    }


def items_json(views: Sequence[ItemView], zone: ZoneInfo) -> str:
    """A JSON array of objects with the field names of `watcher preview --json`."""
    return json.dumps([item_record(view, zone) for view in views], ensure_ascii=False, indent=2) + "\n"


def items_csv(views: Sequence[ItemView], zone: ZoneInfo, separator: str = ",") -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=ITEM_FIELDS, delimiter=separator, lineterminator="\r\n")
    writer.writeheader()
    for view in views:
        record = item_record(view, zone)
        for name in ("topics", "mentions", "member_mentions"):
            record[name] = ", ".join(record[name])
        writer.writerow(record)
    return out.getvalue()


# --- the register ----------------------------------------------------------


def month_label(mention: PressMention) -> str:
    return f"{MONTHS[mention.day.month - 1]} {mention.day.year}"


def date_label(mention: PressMention) -> str:
    """« 14/06/2023 », or « juin 2023 » for an entry known only by its month."""
    if mention.date_precision == DatePrecision.MONTH:
        return month_label(mention)
    return mention.day.strftime("%d/%m/%Y")


def register_rows(mentions: Sequence[PressMention]) -> list[list[str]]:
    return [
        [
            month_label(m),
            date_label(m),
            m.outlet,
            MEDIUM_LABELS.get(m.medium, m.medium),
            m.title,
            m.url or "",
            m.quote or "",
            m.spokesperson or "",
            MENTION_LABELS.get(m.status, m.status),  # type: ignore[call-overload]
            ORIGIN_LABELS.get(m.origin, m.origin),
            m.note or "",
        ]
        for m in sorted(mentions, key=lambda m: (m.day, m.id or 0))
    ]


def _by_month(mentions: Sequence[PressMention]) -> list[tuple[str, list[PressMention]]]:
    ordered = sorted(mentions, key=lambda m: (m.day, m.id or 0))
    return [(label, list(group)) for label, group in groupby(ordered, key=month_label)]


def _counts_line(mentions: Sequence[PressMention]) -> str:
    """« 5 parutions : 2 citant le collectif, 1 tribune et 2 communiqués du collectif. »"""
    # The collective's own tribunes and communiqués do not « cite » it: they are counted apart.
    tribunes = sum(1 for m in mentions if m.medium == "tribune" or m.origin == "tribune")
    statements = sum(1 for m in mentions if m.medium == "communique")
    total = counted(len(mentions), "parution", "parutions")
    cited = len(mentions) - tribunes - statements
    if not tribunes and not statements:
        return f"{total} citant le collectif."
    parts = [f"{cited} citant le collectif"] if cited else []
    parts += [counted(tribunes, "tribune", "tribunes")] if tribunes else []
    parts += [counted(statements, "communiqué", "communiqués")] if statements else []
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} et {parts[-1]}"
    return f"{total} : {listed} du collectif."


def register_markdown(mentions: Sequence[PressMention], year: int) -> str:
    lines = [f"# On parle de nous — {year}", ""]
    if not mentions:
        lines.append("Aucune parution enregistrée pour cette année.")
        return "\n".join(lines) + "\n"
    lines.append(_counts_line(mentions))
    for label, group in _by_month(mentions):
        lines += ["", f"## {label[0].upper()}{label[1:]} ({len(group)})", ""]
        for m in group:
            when = month_label(m) if m.date_precision == DatePrecision.MONTH else m.day.strftime("%d/%m")
            line = f"- **{when}** — *{m.outlet}* ({MEDIUM_LABELS.get(m.medium, m.medium)})"
            if m.url:
                line += f" : [{m.title or m.url}]({m.url})"
            elif m.title:  # an old citation may have no known title
                line += f" : {m.title}"
            if m.spokesperson:
                line += f" — porte-parole : {m.spokesperson}"
            if m.note:
                line += f" — note : {' '.join(m.note.split())}"
            lines.append(line)
            if m.quote:
                lines.append(f"  > {m.quote}")
    return "\n".join(lines) + "\n"


def register_csv(mentions: Sequence[PressMention], separator: str = ";") -> str:
    return excel_csv(REGISTER_COLUMNS, register_rows(mentions), separator)


def register_xlsx(mentions: Sequence[PressMention], year: int, path: Path) -> None:
    """One sheet, one row per entry, a month column and a bold month heading before each month."""
    from openpyxl.styles import Font

    workbook, sheet = new_sheet(f"On parle de nous {year}", REGISTER_COLUMNS)
    current = None
    ordered = sorted(mentions, key=lambda m: (m.day, m.id or 0))
    for mention, row in zip(ordered, register_rows(ordered), strict=True):
        if row[0] != current:
            current = row[0]
            sheet.append([f"{current[0].upper()}{current[1:]}"])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.append([row[0], mention.day, *row[2:]])  # a real date: Excel sorts and filters it
        # A month-only entry is dated the 1st: shown as its month (« juin 2023 » in a French spreadsheet).
        month_only = mention.date_precision == DatePrecision.MONTH
        sheet.cell(row=sheet.max_row, column=2).number_format = "MMMM YYYY" if month_only else "DD/MM/YYYY"
        link = row[REGISTER_COLUMNS.index("Lien")]
        if link:
            cell = sheet.cell(row=sheet.max_row, column=REGISTER_COLUMNS.index("Lien") + 1)
            cell.hyperlink = link
    set_widths(sheet, (16, 14, 26, 14, 60, 40, 80, 24, 11, 20, 40))
    workbook.save(path)


def write_register(
    mentions: Sequence[PressMention], year: int, fmt: str, out: Path | None, separator: str = ";"
) -> tuple[Path | None, str | None]:
    """Write to `out` (or return the text for stdout); XLSX always needs a file."""
    if fmt == "xlsx":
        target = out or Path(f"on-parle-de-nous-{year}.xlsx")
        register_xlsx(mentions, year, target)
        return target, None
    if fmt == "md":
        content = register_markdown(mentions, year)
    elif fmt == "csv":
        content = register_csv(mentions, separator)
    else:
        raise ExportError(f"format inconnu « {fmt} » (attendu : md, csv ou xlsx)")
    if out is None:
        return None, content
    out.write_text(content, encoding="utf-8", newline="")
    return out, None
