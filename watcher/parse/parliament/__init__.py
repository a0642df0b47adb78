"""Parliamentary documents → typed entries: Assemblée nationale, Sénat, NosDéputés/NosSénateurs.

`detect_format` recognises a document from its content (and its name), so that
`watcher preview` takes any of them as is; `parse_parliament` dispatches.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from watcher.parse.errors import ParseError
from watcher.parse.parliament import an, feeds, ics, nosdeputes, senat
from watcher.parse.parliament.models import Chamber, ParliamentEntry, ParliamentFields, ParliamentKind

__all__ = [
    "Chamber",
    "ParliamentEntry",
    "ParliamentFields",
    "ParliamentFormat",
    "ParliamentKind",
    "detect_format",
    "parse_parliament",
]


class ParliamentFormat(StrEnum):
    AN_AMENDMENT = "an_amendment"
    AN_DISCUSSION_LIST = "an_discussion_list"
    AN_QUESTION = "an_question"
    AN_DOSSIER = "an_dossier"
    SENAT_DOSSIER_FEED = "senat_dossier_feed"
    SENAT_AMENDMENTS_CSV = "senat_amendments_csv"
    AGENDA_ICS = "agenda_ics"
    NOSDEPUTES_RSS = "nosdeputes_rss"
    CHAMBER_RSS = "chamber_rss"  # an AN or Sénat feed (documents, comptes rendus, textes, rapports)


_XML_ROOT_RE = re.compile(rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<([A-Za-z][\w:.-]*)", re.S)


def detect_format(body: bytes, name: str = "") -> ParliamentFormat | None:
    """The parliamentary format of a document, or None for anything else (an ordinary feed, a page)."""
    head = body[:4096]
    root = _XML_ROOT_RE.match(head)
    tag = root.group(1) if root else b""
    if tag == b"amendement":
        return ParliamentFormat.AN_AMENDMENT
    if tag == b"amdtsParOrdreDeDiscussion":
        return ParliamentFormat.AN_DISCUSSION_LIST
    if tag == b"QUESTION":
        return ParliamentFormat.AN_QUESTION
    if tag == b"feed" and (b"dosleg" in name.encode() or b"/dossierleg/" in head or b"dossier-legislatif" in head):
        return ParliamentFormat.SENAT_DOSSIER_FEED
    if tag in (b"rss", b"feed") and re.search(rb"nos(?:deputes|senateurs)\.fr", head):
        return ParliamentFormat.NOSDEPUTES_RSS
    if tag in (b"rss", b"feed", b"rdf:RDF") and re.search(
        rb"<link[^>]*>?\s*https?://(?:www2?\.)?(?:assemblee-nationale|senat)\.fr", head
    ):
        return ParliamentFormat.CHAMBER_RSS
    if head.lstrip().startswith(b"{") and b'"dossierParlementaire"' in head:
        return ParliamentFormat.AN_DOSSIER
    if head.lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"BEGIN:VCALENDAR"):
        return ParliamentFormat.AGENDA_ICS
    if Path(name).suffix.lower() in (".csv", ".tsv", "") and senat.looks_like_amendment_csv(head):
        return ParliamentFormat.SENAT_AMENDMENTS_CSV
    return None


def _sibling_discussion_list(path: Path) -> dict[str, dict[str, str]] | None:
    """An amendment file next to the `liste.xml` of its text (as the AN publishes them) takes its group labels."""
    listing = path.with_name("liste.xml")
    if path.name == "liste.xml" or not listing.is_file():
        return None
    try:
        return an.parse_discussion_list(listing.read_bytes(), str(listing))
    except ParseError:
        return None


def parse_parliament(
    body: bytes, origin: str, fmt: ParliamentFormat, content_type: str = ""
) -> tuple[list[ParliamentEntry], str | None]:
    """Typed entries of one document, and a warning when a feed had to be recovered."""
    if fmt == ParliamentFormat.AN_AMENDMENT:
        discussion = None if origin.startswith(("http://", "https://")) else _sibling_discussion_list(Path(origin))
        return [an.parse_amendment(body, origin, discussion)], None
    if fmt == ParliamentFormat.AN_DISCUSSION_LIST:
        raise ParseError(
            f"{origin} : liste d'amendements (ordre de discussion) : donnez les fichiers d'amendements eux-mêmes, "
            "ou une source « an_amendements » qui les collecte"
        )
    if fmt == ParliamentFormat.AN_QUESTION:
        return [an.parse_question(body, origin)], None
    if fmt == ParliamentFormat.AN_DOSSIER:
        return an.parse_dossier(body, origin), None
    if fmt == ParliamentFormat.SENAT_DOSSIER_FEED:
        return feeds.parse_dossier_feed(body, origin, content_type)
    if fmt == ParliamentFormat.SENAT_AMENDMENTS_CSV:
        return senat.parse_amendments_csv(body, origin), None
    if fmt == ParliamentFormat.AGENDA_ICS:
        return ics.parse_agenda(body, origin), None
    if fmt == ParliamentFormat.CHAMBER_RSS:
        return feeds.parse_parliament_feed(body, origin, content_type)
    return nosdeputes.parse_search_rss(body, origin, content_type)
