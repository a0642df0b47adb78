"""Collecting the parliamentary source kinds: one fetched body in, typed entries out (with paging and follow-ups).

`Collector._entries` hands parliamentary kinds here. Lists that point at
documents (an AN `liste.xml`, a NosDéputés JSON search) cost one request per new
document, so each cycle fetches a bounded number of them and the next cycle
continues: up to `AN_AMENDMENTS_PER_CYCLE` from the AN (a PLFSS has some 2,000
amendments), `DOCUMENTS_PER_CYCLE` from NosDéputés (a volunteer-run site); search
pages stop at the first page holding a known item.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from watcher.config import SourceConfig, SourceKind
from watcher.fetch import Fetcher, FetchError, FetchResult
from watcher.normalize import canonical_url
from watcher.parse.errors import ParseError
from watcher.parse.parliament import ParliamentEntry, an, detect_format, feeds, ics, nosdeputes, parse_parliament, senat

log = logging.getLogger(__name__)

DOCUMENTS_PER_CYCLE = 40
AN_AMENDMENTS_PER_CYCLE = 200  # fetched concurrently, within the fetcher's per-host limit
SEARCH_PAGES_PER_CYCLE = 5

# guids (canonical) → those already stored for this source, with their stored outcome
KnownGuids = Callable[[list[str]], Awaitable[dict[str, str | None]]]


async def parliament_entries(
    spec: SourceConfig, result: FetchResult, fetcher: Fetcher, known: KnownGuids
) -> tuple[list[ParliamentEntry], str | None]:
    body, url = result.body, result.url
    kind = spec.kind
    if kind == SourceKind.PARLEMENT_RSS:
        return await asyncio.to_thread(feeds.parse_parliament_feed, body, url, result.content_type)
    if kind == SourceKind.SENAT_DOSSIER:
        return await asyncio.to_thread(feeds.parse_dossier_feed, body, url, result.content_type)
    if kind == SourceKind.SENAT_AMENDEMENTS_CSV:
        return await asyncio.to_thread(senat.parse_amendments_csv, body, url), None
    if kind == SourceKind.AN_AGENDA_ICS:
        return await asyncio.to_thread(ics.parse_agenda, body, url), None
    if kind == SourceKind.AN_DOCUMENT:
        fmt = detect_format(body, url)
        if fmt is None:
            raise ParseError(
                f"{url} : document de l'Assemblée nationale non reconnu (dossier JSON, amendement ou question)"
            )
        return await asyncio.to_thread(parse_parliament, body, url, fmt, result.content_type)
    if kind == SourceKind.AN_AMENDEMENTS:
        return await _an_amendments(body, url, fetcher, known), None
    if kind == SourceKind.NOSDEPUTES:
        if nosdeputes.search_format(spec.url) == "json":
            return await _nosdeputes_json(body, spec.url, fetcher, known), None
        return await _nosdeputes_rss(result, spec.url, fetcher, known)
    raise ParseError(f"type de source parlementaire non pris en charge « {kind} »")


async def _an_amendments(body: bytes, url: str, fetcher: Fetcher, known: KnownGuids) -> list[ParliamentEntry]:
    """`…/amendements/<texte>/<organe>/liste.xml`: fetch the amendments that are new or whose outcome changed."""
    discussion = await asyncio.to_thread(an.parse_discussion_list, body, url)
    base = url.rsplit("/", 1)[0]
    wanted = {canonical_url(f"{base}/{number}.xml"): attrs for number, attrs in discussion.items()}
    stored = await known(list(wanted))
    todo = [
        guid
        for guid, attrs in wanted.items()
        if guid not in stored or ((attrs.get("sort") or None) and stored[guid] != _lower_first(attrs.get("sort")))
    ]

    async def one(guid: str) -> ParliamentEntry | None:
        try:
            page = await fetcher.get(guid)
            entry = await asyncio.to_thread(an.parse_amendment, page.body, page.url, discussion)
        except (FetchError, ParseError) as exc:
            log.warning("amendement ignoré : %s", exc)
            return None
        return replace(entry, guid=guid)

    fetched = await asyncio.gather(*(one(guid) for guid in todo[:AN_AMENDMENTS_PER_CYCLE]))
    entries = [entry for entry in fetched if entry is not None]
    if todo and not entries:
        raise ParseError(f"aucun amendement lisible parmi les {len(todo)} listés dans {url}")
    return entries


def _lower_first(text: str | None) -> str | None:
    return text[0].lower() + text[1:] if text else None


async def _nosdeputes_rss(
    first: FetchResult, url: str, fetcher: Fetcher, known: KnownGuids
) -> tuple[list[ParliamentEntry], str | None]:
    entries, warning = await asyncio.to_thread(nosdeputes.parse_search_rss, first.body, first.url, first.content_type)
    collected = list(entries)
    page = 1
    # The search RSS ignores `date` and lists the newest first: page until a known item (or the cap).
    while entries and page < SEARCH_PAGES_PER_CYCLE:
        guids = [canonical_url(entry.guid or entry.link or "") for entry in entries]
        if await known(guids):
            break
        page += 1
        try:
            result = await fetcher.get(nosdeputes.page_url(url, page))
            entries, _ = await asyncio.to_thread(
                nosdeputes.parse_search_rss, result.body, result.url, result.content_type
            )
        except (FetchError, ParseError) as exc:  # the first pages are worth keeping
            log.warning("page %d de la recherche ignorée : %s", page, exc)
            break
        collected.extend(entries)
    return collected, warning


async def _nosdeputes_json(body: bytes, url: str, fetcher: Fetcher, known: KnownGuids) -> list[ParliamentEntry]:
    search = await asyncio.to_thread(nosdeputes.parse_search_json, body, url)
    documents = list(search.documents)
    page = 1
    while search.has_more and page < SEARCH_PAGES_PER_CYCLE:
        page += 1
        try:
            result = await fetcher.get(nosdeputes.page_url(url, page))
            search = await asyncio.to_thread(nosdeputes.parse_search_json, result.body, result.url)
        except (FetchError, ParseError) as exc:
            log.warning("page %d de la recherche ignorée : %s", page, exc)
            break
        documents.extend(search.documents)
    guids = [canonical_url(api_url) for _, _, api_url in documents]
    stored = await known(guids)
    entries = []
    for guid in [guid for guid in dict.fromkeys(guids) if guid not in stored][:DOCUMENTS_PER_CYCLE]:
        try:
            document = await fetcher.get(guid)
            entry = await asyncio.to_thread(nosdeputes.parse_document, document.body, document.url, url)
        except (FetchError, ParseError) as exc:
            log.warning("document NosDéputés ignoré : %s", exc)
            continue
        entries.append(replace(entry, guid=guid))
    return entries
