"""Sénat amendment sets: `jeu_complet_….csv` (ISO-8859-1, CRLF, tab-separated, a `sep=` first line, HTML cells)."""

from __future__ import annotations

import csv
import io
import re
import sys

from watcher.parse.errors import ParseError
from watcher.parse.parliament.models import (
    Chamber,
    ParliamentEntry,
    ParliamentFields,
    ParliamentKind,
    clean,
    french_day,
    outcome,
    paris_noon,
    person,
)

SENAT_SITE = "https://www.senat.fr"
_TEXT_RE = re.compile(r"/amendements/(?:commissions/)?(\d{4}-\d{4})/(\d+)/")
_REQUIRED = ("Numéro", "Auteur", "Sort")

# Amendment cells hold whole HTML documents (one of the corpus is 160 KB).
csv.field_size_limit(sys.maxsize)


def decode_senat_text(body: bytes) -> str:
    """UTF-8 when it is (a re-saved file), else ISO-8859-1 as the Sénat publishes; never « Ã© »."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")  # cp1252 ⊃ the printable ISO-8859-1


def looks_like_amendment_csv(body: bytes) -> bool:
    head = decode_senat_text(body[:2000]).lstrip()
    return head.startswith("sep=") or ("Numéro" in head and "\t" in head and "Sort" in head)


def parse_amendments_csv(body: bytes, origin: str) -> list[ParliamentEntry]:
    text = decode_senat_text(body)
    if text.startswith("sep="):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    try:
        header = [clean(cell) or "" for cell in next(reader)]
    except StopIteration:
        raise ParseError(f"{origin} : fichier d'amendements du Sénat vide") from None
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise ParseError(
            f"{origin} : ce n'est pas un fichier d'amendements du Sénat (colonne « {missing[0]} » absente)"
        )
    entries = []
    for line_number, row in enumerate(reader, start=3):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ParseError(f"{origin}, ligne {line_number} : {len(row)} colonnes au lieu de {len(header)}")
        entries.append(_amendment(dict(zip(header, row, strict=True))))
    return entries


def _amendment(row: dict[str, str]) -> ParliamentEntry:
    number = clean(row.get("Numéro"))
    url = clean(row.get("Url amendement")) or ""
    if url.startswith("//"):
        url = "https:" + url
    elif url.startswith("/"):
        url = SENAT_SITE + url
    refs: tuple[str, ...] = ()
    bill = None
    if match := _TEXT_RE.search(url):
        session, text_number = match.groups()
        refs = (f"senat:texte:{session}/{text_number}",)
        bill = f"texte n° {text_number} ({session})"
    day = french_day(row.get("Date de dépôt"))
    author = person(row.get("Auteur"))
    subdivision = clean(row.get("Subdivision"))
    nature = clean(row.get("Nature")) or "Amt"
    label = "Sous-amendement" if nature.lower().startswith("s") else "Amendement"
    fields = ParliamentFields(
        kind=ParliamentKind.AMENDEMENT,
        chamber=Chamber.SENAT,
        author=author,
        group=clean(row.get("Au nom de")),
        bill=bill,
        number=number,
        outcome=outcome(row.get("Sort")),
        date=day,
        bill_refs=refs,
    )
    return ParliamentEntry(
        guid=url or f"senat:{refs[0] if refs else ''}:{number}",
        link=url or None,
        title=f"{label} n° {number} (Sénat)" + (f" — {subdivision}" if subdivision else ""),
        summary_html=row.get("Objet", ""),
        content_html=row.get("Dispositif", ""),
        author=author,
        published=paris_noon(day),
        language="fr",
        parliament=fields,
    )
