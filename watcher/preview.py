"""Score inputs without storing anything: feed files, URLs or JSON-lines files of items."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from store.models import utcnow
from watcher.config import Config
from watcher.fetch import Fetcher, FetchError
from watcher.normalize import Item, normalize
from watcher.parse.errors import ParseError
from watcher.parse.feed import RawEntry, parse_feed
from watcher.score import Judgement, Scorer
from watcher.stories import assign_stories, story_doc


class PreviewInputError(Exception):
    """An input that cannot be read, described in French."""


@dataclass(frozen=True)
class PreviewRow:
    item: Item
    judgement: Judgement
    story: str

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
            "story": self.story,
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
            published=published,
            publisher=record.get("publisher"),
        )
        entries.append((str(record.get("source") or path.stem), entry))
    return entries


def _feed_entries(body: bytes, origin: str, content_type: str = "") -> list[tuple[str, RawEntry]]:
    try:
        parsed = parse_feed(body, origin, content_type)
    except ParseError as exc:
        raise PreviewInputError(str(exc)) from None
    name = parsed.title or Path(origin).stem
    return [(name, entry) for entry in parsed.entries]


async def _read_input(spec: str, fetcher: Fetcher) -> list[tuple[str, RawEntry]]:
    if spec.startswith(("http://", "https://")):
        try:
            result = await fetcher.get(spec)
        except FetchError as exc:
            raise PreviewInputError(str(exc)) from None
        return _feed_entries(result.body, result.url, result.content_type)
    path = Path(spec)
    if not path.is_file():
        raise PreviewInputError(f"{spec} : fichier introuvable")
    if path.suffix.lower() == ".jsonl":
        return _jsonl_entries(path)
    return _feed_entries(path.read_bytes(), str(path))


def preview(inputs: list[str], config: Config) -> list[PreviewRow]:
    """Judge every item of every input, clustering stories across the whole run, deterministically."""

    async def read_all() -> list[list[tuple[str, RawEntry]]]:
        async with Fetcher() as fetcher:
            return [await _read_input(spec, fetcher) for spec in inputs]

    collected_at = utcnow()
    scorer = Scorer(config)
    sources = {source.name: source for source in config.sources}
    items: list[Item] = []
    for source_name, entry in (pair for batch in asyncio.run(read_all()) for pair in batch):
        item = normalize(entry, source_name, collected_at)
        if item is not None:
            items.append(item)
    # Stories are built in publication order (ties: input order), so that the result does not depend on
    # which input came first; the same URL in two inputs is one item.
    order = sorted(range(len(items)), key=lambda i: (items[i].published, i))
    docs = {}
    for i in order:
        docs.setdefault(items[i].url, story_doc(items[i].title, items[i].summary, items[i].published))
    story_of_url = assign_stories(docs.items())
    names: dict[object, str] = {}
    for url in docs:
        names.setdefault(story_of_url[url], f"s{len(names) + 1}")
    return [
        PreviewRow(item, scorer.judge(item, sources.get(item.source)), names[story_of_url[item.url]]) for item in items
    ]
