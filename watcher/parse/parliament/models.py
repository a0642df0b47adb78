"""Typed parliamentary items: what a question, amendment, report or text is, who tabled it, on which bill.

A parser returns `ParliamentEntry` objects: a `RawEntry` (so the usual
normalise → dedupe → score → store flow applies unchanged) that also carries
`ParliamentFields`. `bill_refs` are stable identifiers ("an:dossier:36030",
"senat:texte:2019-2020/139"…) matched against the `dossiers:` of sources.yaml.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from watcher.parse.feed import RawEntry

PARIS = ZoneInfo("Europe/Paris")


class ParliamentKind(StrEnum):
    QUESTION_ECRITE = "question_ecrite"
    AMENDEMENT = "amendement"
    RAPPORT = "rapport"
    TEXTE = "texte"
    COMPTE_RENDU = "compte_rendu"
    AGENDA = "agenda"
    SCRUTIN = "scrutin"  # a public vote; the Sénat's per-bill feeds list many
    DECISION = "decision"  # Conseil constitutionnel: referral and decision


class Chamber(StrEnum):
    AN = "an"
    SENAT = "senat"


@dataclass(frozen=True)
class ParliamentFields:
    kind: ParliamentKind | None
    chamber: Chamber | None
    author: str | None = None
    group: str | None = None
    bill: str | None = None
    number: str | None = None
    outcome: str | None = None
    date: date | None = None
    bill_refs: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Exactly the contract of `watcher preview --json`: null when unknown."""
        return {
            "kind": str(self.kind) if self.kind else None,
            "chamber": str(self.chamber) if self.chamber else None,
            "author": self.author,
            "group": self.group,
            "bill": self.bill,
            "number": self.number,
            "outcome": self.outcome,
            "date": self.date.isoformat() if self.date else None,
        }

    def with_bill(self, bill: str) -> ParliamentFields:
        return replace(self, bill=bill)


@dataclass(frozen=True)
class ParliamentEntry(RawEntry):
    parliament: ParliamentFields = field(default_factory=lambda: ParliamentFields(None, None))


# --- small shared helpers ----------------------------------------------------

_SPACES_RE = re.compile(r"\s+")
_UPPER_WORD_RE = re.compile(r"\b([A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'\-]+)\b")
_NAME_PART_RE = re.compile(r"([-'])")
_CIVILITY = ("M.", "MM.", "Mme", "Mmes")
_BILL_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"s[ée]curit[ée] sociale\s*:\s*loi de financement rectificative (?:pour )?(\d{4})", re.I), "PLFRSS {}"),
    (re.compile(r"s[ée]curit[ée] sociale\s*:\s*loi de financement (?:pour )?(\d{4})", re.I), "PLFSS {}"),
    (re.compile(r"financement (?:rectificative )?de la s[ée]curit[ée] sociale (?:pour )?(\d{4})", re.I), "PLFSS {}"),
    (re.compile(r"\bPLFR?SS\s+(?:pour\s+)?(\d{4})", re.I), "PLFSS {}"),
    (re.compile(r"budget\s*:\s*loi de finances rectificative (?:pour )?(\d{4})", re.I), "PLFR {}"),
    (re.compile(r"budget\s*:\s*loi de finances (?:pour )?(\d{4})", re.I), "PLF {}"),
    (re.compile(r"\bPLFR\s+(?:pour\s+)?(\d{4})", re.I), "PLFR {}"),
    (re.compile(r"\bPLF\s+(?:pour\s+)?(\d{4})", re.I), "PLF {}"),
    (re.compile(r"projet de loi de finances (?:pour )?(\d{4})", re.I), "PLF {}"),
)


def clean(text: str | None) -> str | None:
    """Collapse spaces (incl. no-break spaces); None for empty text."""
    if text is None:
        return None
    text = _SPACES_RE.sub(" ", text.replace("\xa0", " ")).strip()
    return text or None


def unescape_twice(text: str) -> str:
    """The AN's `listeDesSignataires` is escaped twice (`&amp;#160;`)."""
    return html.unescape(html.unescape(text))


def person(text: str | None) -> str | None:
    """« M. Jean-Marie VANLERENBERGHE » → « M. Jean-Marie Vanlerenberghe »: surnames in capitals read as shouting."""
    text = clean(text)
    if not text:
        return None
    return _UPPER_WORD_RE.sub(lambda m: _capitalize_name(m.group(1)), text)


def _capitalize_name(word: str) -> str:
    """« VAINQUEUR-CHRISTOPHE » → « Vainqueur-Christophe », « D'ARTAGNAN » → « D'Artagnan »."""
    if word == "MM":  # « MM. » (messieurs) is a civility, not a name
        return word
    return "".join(part.capitalize() for part in _NAME_PART_RE.split(word))


def with_civility(civility: str | None, first: str | None, last: str | None) -> str | None:
    parts = [part for part in (clean(civility), clean(first), clean(last)) if part]
    if not parts or (len(parts) == 1 and parts[0] in _CIVILITY):
        return None
    return person(" ".join(parts))


def bill_label(*titles: str | None) -> str | None:
    """A short, familiar label (« PLFSS 2019 ») from an official title, else the first title as given."""
    for title in titles:
        if not title:
            continue
        for pattern, label in _BILL_PATTERNS:
            match = pattern.search(title)
            if match:
                return label.format(match.group(1))
    return next((clean(title) for title in titles if clean(title)), None)


def outcome(text: str | None) -> str | None:
    """« Adopté » → « adopté »; acronyms and empty values are left alone."""
    text = clean(text)
    if not text or text.lower() in ("null", "null;", "indéfini"):
        return None
    return text[0].lower() + text[1:] if not text[:2].isupper() else text


def french_day(text: str | None) -> date | None:
    """dd/mm/yyyy (AN) or yyyy-mm-dd (Sénat, NosDéputés)."""
    text = clean(text)
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    return None


def paris_day(moment: datetime | None) -> date | None:
    """Feeds date a Paris day as its midnight in UTC (23:00Z the day before): read it back in Paris."""
    return moment.astimezone(PARIS).date() if moment else None


def paris_noon(day: date | None) -> datetime | None:
    """A publication time for a document that only has a day."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=PARIS).astimezone(UTC) if day else None
