"""Typed entries from parliamentary feeds: Sénat per-bill feeds (Atom 0.3, ISO-8859-15), Sénat and AN RSS.

These feeds only have a title and a one-line summary per document, written to a
steady pattern (« Rapport n° 122 », « Première lecture - Sénat : Rapport de
M. X, … »); the fields are read from that pattern and stay null otherwise.
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from urllib.parse import urlsplit

from watcher.parse.feed import ParsedFeed, RawEntry, parse_feed
from watcher.parse.parliament.models import (
    Chamber,
    ParliamentEntry,
    ParliamentFields,
    ParliamentKind,
    bill_label,
    clean,
    paris_day,
    person,
)

_KINDS: tuple[tuple[re.Pattern[str], ParliamentKind], ...] = (
    (re.compile(r"^(?:texte|projet de loi|proposition de loi|parution au jo)\b", re.I), ParliamentKind.TEXTE),
    (re.compile(r"^(?:rapport|avis)\b", re.I), ParliamentKind.RAPPORT),
    (re.compile(r"^(?:sous-)?amendements?\b", re.I), ParliamentKind.AMENDEMENT),
    (re.compile(r"^(?:compte|comptes) rendus?\b|^résumé des débats|^cri\b", re.I), ParliamentKind.COMPTE_RENDU),
    (re.compile(r"^scrutin\b", re.I), ParliamentKind.SCRUTIN),
    (re.compile(r"^(?:inscription à l'ordre du jour|ordre du jour|agenda)\b", re.I), ParliamentKind.AGENDA),
    (re.compile(r"^(?:décision du conseil constitutionnel|saisine)\b", re.I), ParliamentKind.DECISION),
    (re.compile(r"^question\b", re.I), ParliamentKind.QUESTION_ECRITE),
)
_NUMBER_RE = re.compile(r"n\s*°\s*([\w-]+(?:\s+rect(?:ifié)?\.?)?)", re.I)
_JO_LAW_RE = re.compile(r"Loi n°\s*([\d-]+)")
_OUTCOME_RE = re.compile(r"\bTexte (adopté|rejeté|modifié)( définitivement)?", re.I)
_CC_OUTCOME_RE = re.compile(r"\((partiellement conforme|conforme|non conforme)\)", re.I)
_AUTHOR_RE = re.compile(
    r"(?:Rapport|Avis|Texte|Question) (?:de|d')\s*((?:MM?\.|Mmes?)\s.+?)"
    r"(?:,\s*(?:rapporteur|fait|ministre|sénat|député|secrétaire|premier)|\s*,?\s*déposé|$)",
)
_DOSSIER_ID_RE = re.compile(r"/(?:dossierleg|dossier-legislatif)/([\w-]+)\.html")
_FEED_DOSSIER_RE = re.compile(r"dosleg([\w-]+)\.xml")
# Commission mixte paritaire texts are linked as bare « pjl19-133.html »: the page lives under /leg/.
_BARE_SENAT_TEXT_RE = re.compile(r"(?:^|/)((?:pjl|ppl|tas|pjlf)\d{2}-\d+\.html)$")
SENAT_LEG = "https://www.senat.fr/leg/"


def chamber_of(text: str) -> Chamber | None:
    if re.search(r"\bSénat\b", text):
        return Chamber.SENAT
    if re.search(r"Assemblée nationale", text, re.I):
        return Chamber.AN
    return None


def classify(title: str, summary: str, link: str | None) -> ParliamentFields:
    """Kind, chamber, number, author and outcome of one feed entry, from its title and summary."""
    kind = next((kind for pattern, kind in _KINDS if pattern.search(title)), None)
    # « Première lecture - Sénat : … » names the chamber; otherwise the document's host does.
    stage = summary.split(" : ", 1)[0] if " : " in summary else summary
    chamber = chamber_of(stage)
    host = urlsplit(link or "").hostname or ""
    if chamber is None and kind not in (ParliamentKind.DECISION, None) and "commission mixte" not in stage.lower():
        chamber = Chamber.SENAT if host.endswith("senat.fr") else Chamber.AN if "assemblee-nationale" in host else None
    number_match = _JO_LAW_RE.search(title) or _NUMBER_RE.search(title)
    number = clean(number_match.group(1)) if number_match else None
    result = None
    if match := _OUTCOME_RE.search(summary):
        result = match.group(1).lower() + (match.group(2) or "")
    elif match := _CC_OUTCOME_RE.search(summary):
        result = match.group(1).lower()
    elif title.lower().startswith("parution au jo"):
        result = "promulgué"
    author_match = _AUTHOR_RE.search(summary)
    return ParliamentFields(
        kind=kind,
        chamber=chamber,
        author=person(author_match.group(1)) if author_match else None,
        number=number,
        outcome=result,
    )


def typed_feed(
    parsed: ParsedFeed, url: str, *, bill: str | None = None, refs: tuple[str, ...] = ()
) -> list[ParliamentEntry]:
    """Type every entry of a parsed parliamentary feed; `bill`/`refs` apply to all (a per-bill feed)."""
    entries = []
    for entry in parsed.entries:
        summary = clean(entry.summary_html) or ""
        fields = classify(entry.title, summary, entry.link)
        fields = ParliamentFields(
            **(asdict(fields) | {"bill": bill, "bill_refs": refs, "date": paris_day(entry.published)})
        )
        entries.append(ParliamentEntry(**_raw_fields(entry), parliament=fields))
    return entries


def _raw_fields(entry: RawEntry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in RawEntry.__dataclass_fields__}


def parse_dossier_feed(body: bytes, url: str, content_type: str = "") -> tuple[list[ParliamentEntry], str | None]:
    """A Sénat per-bill feed (`dossier-legislatif/rss/dosleg<id>.xml`): every entry is on that bill."""
    parsed = parse_feed(body, url, content_type)
    bill = bill_label(parsed.title.removeprefix("Sénat - "))
    refs: tuple[str, ...] = ()
    dossier_id = _FEED_DOSSIER_RE.search(url)
    if dossier_id is None:
        dossier_id = _DOSSIER_ID_RE.search(body[:4000].decode("latin-1"))
    if dossier_id:
        refs = (f"senat:dossier:{dossier_id.group(1)}",)
    entries = [
        replace(entry, link=_senat_text_link(entry.link)) for entry in typed_feed(parsed, url, bill=bill, refs=refs)
    ]
    return entries, parsed.warning


def _senat_text_link(link: str | None) -> str | None:
    if not link or "/leg/" in link:
        return link
    match = _BARE_SENAT_TEXT_RE.search(link)
    if match and (not link.startswith("http") or "senat.fr" not in link):
        return SENAT_LEG + match.group(1)
    if match and "/dossier-legislatif/rss/" in link:  # resolved against the feed's own address
        return SENAT_LEG + match.group(1)
    return link


def parse_parliament_feed(body: bytes, url: str, content_type: str = "") -> tuple[list[ParliamentEntry], str | None]:
    """A chamber-wide feed (AN documents or comptes rendus, Sénat textes/rapports): bills are not known."""
    parsed = parse_feed(body, url, content_type)
    return typed_feed(parsed, url), parsed.warning
