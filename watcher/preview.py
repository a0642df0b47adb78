"""Score inputs without storing anything: feed files, URLs, JSON-lines files of items, parliamentary documents.

Parliamentary documents (AN amendment or question XML, AN dossier JSON, Sénat
per-bill feeds and amendment CSV, agendas in ICS, NosDéputés search RSS) are
recognised from their content; their rows carry a `parliament` object with
`kind`, `chamber`, `author`, `group`, `bill`, `number`, `outcome`, `date`
(null when unknown). Other rows have `"parliament": null`. Every row has `loss_kind`: the kinds of loss of chance of
an item of the `pertes_de_chance` theme (watcher/losses.py), `[]` for the others. Every row has `place`, where the
item happens (watcher/place.py): `commune`, `departement`, `region`, `code_insee`, `code_departement`,
`code_region` (null when unknown) and `national` (true for France as a whole).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from store.models import utcnow
from watcher.config import Config, SourceConfig
from watcher.failures import os_reason
from watcher.fetch import Fetcher, FetchError
from watcher.losses import item_loss_kinds
from watcher.netguard import NetworkPolicy
from watcher.normalize import Item, normalize
from watcher.parse.errors import ParseError
from watcher.parse.feed import RawEntry, parse_feed
from watcher.parse.parliament import (
    ParliamentEntry,
    ParliamentFields,
    ParliamentFormat,
    detect_format,
    parse_parliament,
)
from watcher.place import place_of
from watcher.score import Judgement, Scorer
from watcher.stories import assign_stories, story_doc
from watcher.tracked import TrackedBills

_PARLIAMENT_SOURCES = {
    ParliamentFormat.AN_AMENDMENT: "Assemblée nationale — amendements",
    ParliamentFormat.AN_QUESTION: "Assemblée nationale — questions écrites",
    ParliamentFormat.AN_DOSSIER: "Assemblée nationale — dossiers législatifs",
    ParliamentFormat.SENAT_DOSSIER_FEED: "Sénat — dossiers législatifs",
    ParliamentFormat.SENAT_AMENDMENTS_CSV: "Sénat — amendements",
    ParliamentFormat.AGENDA_ICS: "Assemblée nationale — agenda",
    ParliamentFormat.NOSDEPUTES_RSS: "NosDéputés",
    ParliamentFormat.CHAMBER_RSS: "Parlement — flux",
}


class PreviewInputError(Exception):
    """An input that cannot be read, described in French."""


@dataclass(frozen=True)
class PreviewRow:
    item: Item
    judgement: Judgement
    story: str
    parliament: ParliamentFields | None = None

    def as_json(self) -> dict[str, Any]:
        item, judgement = self.item, self.judgement
        return {
            "url": item.url,
            "title": item.title,
            "source": item.source,
            "publisher": item.publisher,
            "published": item.published.isoformat(),
            "published_estimated": item.published_estimated,
            "language": item.language,
            "topics": judgement.topics,
            "score": judgement.score,
            "decision": judgement.decision,
            "why": judgement.why,
            "mentions": judgement.mentions,
            "member_mentions": judgement.member_mentions,
            "summary": judgement.summary,
            "alert_reason": judgement.alert_reason,
            "topic_scores": judgement.topic_scores,
            "story": self.story,
            "parliament": self.parliament.as_json() if self.parliament else None,
            "loss_kind": item_loss_kinds(judgement.topics, item.title, item.summary),
            "place": place_of(item.title, item.summary).as_json(),
        }


def _jsonl_entries(path: Path) -> list[tuple[str, RawEntry]]:
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PreviewInputError(f"{path}, ligne {number} : JSON invalide ({exc.msg})") from None
        if not isinstance(record, dict) or not record.get("url") or not record.get("title"):
            raise PreviewInputError(f"{path}, ligne {number} : les champs « url » et « title » sont obligatoires")
        published = None
        if record.get("published"):
            try:
                published = datetime.fromisoformat(str(record["published"]).replace("Z", "+00:00"))
            except ValueError:
                raise PreviewInputError(
                    f"{path}, ligne {number} : date « published » invalide « {record['published']} » "
                    "(format attendu : 2026-11-23T08:00:00+01:00)"
                ) from None
        entry = RawEntry(
            guid=record.get("guid") or record["url"],
            link=record["url"],
            title=str(record["title"]),
            summary_html=str(record.get("summary") or ""),
            content_html=str(record.get("content") or ""),  # the article's text, as a `full_text` source reads it
            published=published,
            publisher=record.get("publisher"),
        )
        entries.append((str(record.get("source") or path.stem), entry))
    return entries


def _parliament_entries(
    body: bytes, origin: str, fmt: ParliamentFormat, content_type: str = "", alone: bool = True
) -> list[tuple[str, RawEntry]]:
    if fmt == ParliamentFormat.AN_DISCUSSION_LIST and not alone:
        return []  # `an/<texte>/*.xml`: the list only lends its group labels to the amendments beside it
    try:
        entries, _ = parse_parliament(body, origin, fmt, content_type)
    except ParseError as exc:
        raise PreviewInputError(str(exc)) from None
    if not entries:
        raise PreviewInputError(f"{origin} : aucun document parlementaire lisible dans ce fichier")
    return [(_PARLIAMENT_SOURCES[fmt], entry) for entry in entries]


def _feed_entries(body: bytes, origin: str, content_type: str = "", alone: bool = True) -> list[tuple[str, RawEntry]]:
    fmt = detect_format(body, origin)
    if fmt is not None:
        return _parliament_entries(body, origin, fmt, content_type, alone)
    try:
        parsed = parse_feed(body, origin, content_type)
    except ParseError as exc:
        raise PreviewInputError(str(exc)) from None
    name = parsed.title or Path(origin).stem
    return [(name, entry) for entry in parsed.entries]


async def _read_input(spec: str, fetcher: Fetcher, alone: bool = True) -> list[tuple[str, RawEntry]]:
    if spec.startswith(("http://", "https://")):
        try:
            result = await fetcher.get(spec)
        except FetchError as exc:
            raise PreviewInputError(str(exc)) from None
        return _feed_entries(result.body, result.url, result.content_type)
    path = Path(spec)
    if path.is_dir():
        raise PreviewInputError(f"{spec} : c'est un dossier ; indiquez ses fichiers (par exemple {path / '*.xml'})")
    if not path.is_file():
        raise PreviewInputError(f"{spec} : fichier introuvable")
    if path.suffix.lower() == ".jsonl":
        return _jsonl_entries(path)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise PreviewInputError(f"{spec} : fichier illisible ({os_reason(exc)})") from None
    return _feed_entries(body, str(path), alone=alone)


@dataclass(frozen=True)
class PreviewRun:
    rows: list[PreviewRow]
    unreadable: list[str]  # one French line per input that could not be read, in input order


def preview(
    inputs: list[str], config: Config, source: SourceConfig | None = None, now: datetime | None = None
) -> PreviewRun:
    """Judge every item of every input, clustering stories across the whole run, deterministically.

    An input that cannot be read (an HTML page, a missing file…) is named in `unreadable`; the others are judged.
    With `source`, every item is judged as that source's, with its weight and default themes, as collection
    judges it; otherwise an item whose feed is named like a source of the configuration is judged as that
    source's, and any other item as from no source. The items are collected at `now` (by default, the wall
    clock's now): an undated one is dated then.
    """
    unreadable: list[str] = []

    async def read_all() -> list[list[tuple[str, RawEntry]]]:
        batches = []
        # The addresses given on the command line are named by the person running it, as sources are.
        async with Fetcher(policy=NetworkPolicy.for_urls(inputs)) as fetcher:
            for spec in inputs:
                try:
                    batches.append(await _read_input(spec, fetcher, alone=len(inputs) == 1))
                except PreviewInputError as exc:
                    unreadable.append(str(exc))
        return batches

    collected_at = now or utcnow()
    scorer = Scorer(config)
    tracked = TrackedBills(config)
    sources = {spec.name: spec for spec in config.sources}
    items: list[Item] = []
    entries: list[RawEntry] = []
    for source_name, entry in (pair for batch in asyncio.run(read_all()) for pair in batch):
        item = normalize(entry, source_name, collected_at)
        if item is not None:
            items.append(item)
            entries.append(entry)
    # Stories are built in publication order (ties: input order), so that the result does not depend on
    # which input came first; the same URL in two inputs is one item.
    order = sorted(range(len(items)), key=lambda i: (items[i].published, i))
    docs = {}
    for i in order:
        item = items[i]
        docs.setdefault(item.url, story_doc(item.title, item.summary, item.published, body=item.content))
    story_reasons: dict[object, str] = {}
    story_of_url = assign_stories(docs.items(), story_reasons)
    names: dict[object, str] = {}
    for url in docs:
        names.setdefault(story_of_url[url], f"s{len(names) + 1}")
    rows = []
    for item, entry in zip(items, entries, strict=True):
        parliament = entry.parliament if isinstance(entry, ParliamentEntry) else None
        fields = tracked.label(parliament, item.source) if parliament is not None else None
        judgement = tracked.judge(scorer, item, source or sources.get(item.source), parliament, item.source)
        if item.url in story_reasons:
            judgement = replace(judgement, why=[*judgement.why, story_reasons[item.url]])
        rows.append(PreviewRow(item, judgement, names[story_of_url[item.url]], fields))
    return PreviewRun(rows, unreadable)
