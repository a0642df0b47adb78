"""NosDéputés / NosSénateurs search results (`/recherche/<q>?format=rss|json`) and their documents.

The search's `format=json` is not valid JSON (its template prints
`[document_type:"Amendement",document_id:1,document_url:"…"]` inside braces, as
the cpc-api client notes); it is read with a pattern. Each result then points at
`/api/document/<Class>/<id>/json`, parsed by `parse_document`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from w3lib.url import add_or_replace_parameter, url_query_parameter

from watcher.parse.errors import ParseError
from watcher.parse.feed import parse_feed
from watcher.parse.parliament.feeds import typed_feed
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

PAGE_SIZE = 20  # fixed by the site
_RESULT_RE = re.compile(
    r'\[\s*"?document_type"?\s*:\s*"(\w+)"\s*,\s*"?document_id"?\s*:\s*(\d+)\s*,'
    r'\s*"?document_url"?\s*:\s*"([^"]+)"\s*\]'
)
_COUNTER_RE = re.compile(r'"(start|end|last_result)"\s*:\s*(\d+)')
_KIND_BY_PATH = (
    ("/amendement/", ParliamentKind.AMENDEMENT),
    ("/question/", ParliamentKind.QUESTION_ECRITE),
    ("/seance/", ParliamentKind.COMPTE_RENDU),
    ("/document/", ParliamentKind.TEXTE),
)
_TITLE_NUMBER_RE = re.compile(r"N°\s*([\w-]+)", re.I)
_QUESTION_DATE_RE = re.compile(r"du (\d{4}-\d{2}-\d{2})")


def chamber_of_site(url: str) -> Chamber | None:
    host = urlsplit(url).hostname or ""
    if "nossenateurs" in host:
        return Chamber.SENAT
    if "nosdeputes" in host:
        return Chamber.AN
    return None


def _chamber_of_source(url: str) -> Chamber | None:
    """The document's `source` is the chamber's own page."""
    host = urlsplit(url).hostname or ""
    if host.endswith("assemblee-nationale.fr"):
        return Chamber.AN
    if host.endswith("senat.fr"):
        return Chamber.SENAT
    return None


def page_url(url: str, page: int) -> str:
    return add_or_replace_parameter(url, "page", str(page))


def search_format(url: str) -> str:
    return (url_query_parameter(url, "format") or "rss").lower()


@dataclass(frozen=True)
class SearchPage:
    """One page of JSON search results: the document URLs and the paging counters."""

    documents: list[tuple[str, int, str]]  # (class, id, API URL)
    end: int
    last_result: int

    @property
    def has_more(self) -> bool:
        return self.end < self.last_result


def parse_search_json(body: bytes, origin: str) -> SearchPage:
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return SearchPage([], 0, 0)  # the site answers nothing at all when there is no result
    if not text.startswith("{"):
        raise ParseError(f"{origin} : réponse de recherche NosDéputés illisible (JSON attendu)")
    counters = {name: int(value) for name, value in _COUNTER_RE.findall(text)}
    try:  # should the site ever publish valid JSON, read it as such
        results = json.loads(text).get("results") or []
        documents = [(r["document_type"], int(r["document_id"]), r["document_url"]) for r in results]
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError):
        documents = [(cls, int(number), url) for cls, number, url in _RESULT_RE.findall(text)]
    if "last_result" not in counters:
        raise ParseError(f"{origin} : réponse de recherche NosDéputés sans « last_result »")
    return SearchPage(documents, counters.get("end", 0), counters["last_result"])


def parse_document(body: bytes, origin: str, site_url: str) -> ParliamentEntry:
    """`/api/document/<Class>/<id>/json` → one typed entry (amendment, written question, intervention)."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{origin} : JSON illisible ({exc})") from None
    if not isinstance(document, dict) or len(document) != 1:
        raise ParseError(f"{origin} : document NosDéputés inattendu")
    class_name, record = next(iter(document.items()))
    if not isinstance(record, dict):
        raise ParseError(f"{origin} : document NosDéputés inattendu")
    source = clean(record.get("source")) or origin
    chamber = chamber_of_site(site_url) or _chamber_of_source(source)
    day = french_day(str(record.get("date") or ""))
    if class_name == "amendement":
        number = clean(str(record.get("numero") or "")) or None
        author = person(str(record.get("signataires") or "").split(",")[0]) if record.get("signataires") else None
        fields = ParliamentFields(
            kind=ParliamentKind.AMENDEMENT,
            chamber=chamber,
            author=author,
            group=clean(record.get("auteur_groupe_acronyme")),
            bill=f"texte n° {record['texteloi_id']}" if record.get("texteloi_id") else None,
            number=number,
            outcome=outcome(record.get("sort")),
            date=day,
            bill_refs=(f"{chamber or 'an'}:texte:{record['texteloi_id']}",) if record.get("texteloi_id") else (),
        )
        title = f"Amendement n° {number}" + (f" — {clean(record.get('sujet'))}" if record.get("sujet") else "")
        summary, content = str(record.get("expose") or ""), str(record.get("texte") or "")
    elif class_name == "questionecrite":
        number = clean(str(record.get("numero") or "")) or None
        ministry = clean(record.get("ministere"))
        fields = ParliamentFields(
            kind=ParliamentKind.QUESTION_ECRITE,
            chamber=chamber,
            number=number,
            outcome="réponse publiée" if record.get("reponse") else None,
            date=day,
        )
        title = f"Question écrite n° {number}" + (f" ({ministry})" if ministry else "")
        summary, content = str(record.get("question") or ""), str(record.get("reponse") or "")
    elif class_name == "intervention":
        fields = ParliamentFields(kind=ParliamentKind.COMPTE_RENDU, chamber=chamber, date=day)
        title = f"Intervention en séance du {day.isoformat()}" if day else "Intervention en séance"
        summary, content = str(record.get("intervention") or ""), ""
    else:
        raise ParseError(f"{origin} : type de document NosDéputés non pris en charge « {class_name} »")
    link = source if source.startswith("http") else origin
    return ParliamentEntry(
        guid=link,
        link=link,
        title=title,
        summary_html=summary,
        content_html=content,
        author=fields.author,
        published=paris_noon(day),
        language="fr",
        parliament=fields,
    )


def parse_search_rss(body: bytes, url: str, content_type: str = "") -> tuple[list[ParliamentEntry], str | None]:
    """The search's RSS: the link's path says the kind; the title carries the number (or the date, for questions)."""
    parsed = parse_feed(body, url, content_type)
    chamber = chamber_of_site(url)
    entries = []
    for entry in typed_feed(parsed, url):
        path = urlsplit(entry.link or "").path
        kind = next((kind for marker, kind in _KIND_BY_PATH if marker in path), entry.parliament.kind)
        number_match = _TITLE_NUMBER_RE.search(entry.title)
        number = number_match.group(1) if number_match else None
        if kind == ParliamentKind.QUESTION_ECRITE and number is None:
            number = path.rstrip("/").rsplit("/", 1)[-1] or None
        date_match = _QUESTION_DATE_RE.search(entry.title)
        fields = ParliamentFields(
            kind=kind,
            chamber=chamber or chamber_of_site(entry.link or ""),
            author=person(entry.author),
            number=number,
            date=french_day(date_match.group(1)) if date_match else entry.parliament.date,
        )
        entries.append(ParliamentEntry(**{**_plain(entry), "parliament": fields}))
    return entries, parsed.warning


def _plain(entry: ParliamentEntry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in entry.__dataclass_fields__ if name != "parliament"}
