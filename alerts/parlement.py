"""Typed parliamentary items as the digest shows them, one line each.

« Amendement n° 1234 (M. X, groupe Y) au PLFSS 2027 — rejeté »

alerts/digest.py places them in the « Parlement » section and renders them
through the `_parlement` partials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from store.parliament import ParliamentRow

KIND_LABELS = {
    "question_ecrite": "Question écrite",
    "amendement": "Amendement",
    "rapport": "Rapport",
    "texte": "Texte",
    "compte_rendu": "Compte rendu",
    "agenda": "Agenda",
    "scrutin": "Scrutin",
    "decision": "Décision",
}
CHAMBER_LABELS = {"an": "Assemblée nationale", "senat": "Sénat"}
# Short bill labels take « au » / « sur le » directly (« au PLFSS 2027 », « au texte n° 139 »).
_SHORT_BILL_RE = re.compile(r"^(?:(?:PL|PJL|PPL)\w*\b|texte n°|projet\b|proposition\b)")


@dataclass(frozen=True)
class ParlementEntry:
    """What the section shows of one item; plain values, so tests and templates need no database."""

    kind: str | None
    chamber: str | None
    author: str | None
    group: str | None
    bill: str | None
    number: str | None
    outcome: str | None
    day: date | None
    title: str
    url: str
    decision: str | None = None
    tracked: bool = False

    @property
    def headline(self) -> str:
        return headline(self)

    @property
    def chamber_label(self) -> str | None:
        return CHAMBER_LABELS.get(self.chamber or "")

    @property
    def day_label(self) -> str | None:
        return self.day.strftime("%d/%m/%Y") if self.day else None


def _bill_phrase(kind: str | None, bill: str) -> str:
    short = bool(_SHORT_BILL_RE.match(bill))
    if kind == "amendement":
        return f"au {bill}" if short else f"au texte « {bill} »"
    if kind == "rapport":
        return f"sur le {bill}" if short else f"sur le texte « {bill} »"
    return f"— {bill}"


def headline(entry: ParlementEntry) -> str:
    """« Amendement n° 1234 (M. X, groupe Y) au PLFSS 2027 — rejeté »; unknown parts are left out."""
    label = KIND_LABELS.get(entry.kind or "")
    own_title = label is None or (entry.number is None and entry.kind not in ("question_ecrite", "amendement"))
    # Agendas and comptes rendus: their own title says it best.
    numbered = f"{label} n° {entry.number}" if entry.number else str(label)
    text = entry.title if own_title else numbered
    who = [part for part in (entry.author, _group(entry.group)) if part]
    if who and not own_title:
        text += f" ({', '.join(who)})"
    if entry.bill and entry.bill not in text:
        text += f" {_bill_phrase(entry.kind, entry.bill)}"
    if entry.outcome:
        text += f" — {entry.outcome}"
    return text


def _group(group: str | None) -> str | None:
    if not group:
        return None
    return group if group.lower().startswith("groupe") else f"groupe {group}"


def entry_from_row(row: ParliamentRow) -> ParlementEntry:
    fields = row.fields
    return ParlementEntry(
        kind=fields.kind,
        chamber=fields.chamber,
        author=fields.author,
        group=fields.group,
        bill=fields.bill,
        number=fields.number,
        outcome=fields.outcome,
        day=fields.day,
        title=row.item.title,
        url=row.item.url,
        decision=row.score.decision if row.score else None,
        tracked=fields.tracked is not None,
    )
