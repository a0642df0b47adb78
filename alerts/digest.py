"""The daily digest: what the window brought, one entry per story, grouped by theme."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlmodel import Session

from store import queries
from store.queries import ScoredItem, WindowCounts

_MARKDOWN_SPECIALS = re.compile(r"[\\`*_\[\]<>|]")
MENTION_SECTION = ("mention", "On parle de nous")
_FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def markdown_escape(text: str) -> str:
    """Feed text must not turn into Markdown markup (links, emphasis, headings) in the archive."""
    return _MARKDOWN_SPECIALS.sub(r"\\\g<0>", text)


def french_date(day: date) -> str:
    return f"{_FRENCH_DAYS[day.weekday()]} {day.day} {_FRENCH_MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class DigestEntry:
    title: str
    url: str
    summary: str
    outlets: list[str]
    score: int
    why: list[str]
    published: str  # local time, already formatted
    mentions: list[str]
    item_count: int


@dataclass(frozen=True)
class DigestSection:
    key: str
    label: str
    entries: list[DigestEntry]


@dataclass(frozen=True)
class Digest:
    day: date
    start: datetime
    end: datetime
    zone: ZoneInfo
    sections: list[DigestSection]
    counts: WindowCounts
    failing_sources: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Veille Action Patients — {french_date(self.day)}"

    @property
    def story_count(self) -> int:
        return sum(len(section.entries) for section in self.sections)


def digest_window(day: date, at: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The 24 hours that end on `day` at the digest time, in the collective's time zone."""
    end = datetime.combine(day, at, tzinfo=zone)
    return end - timedelta(days=1), end


def _entry(group: list[ScoredItem], zone: ZoneInfo) -> DigestEntry:
    lead = group[0]  # the best-scored item tells the story
    outlets = list(dict.fromkeys(row.item.publisher or row.source.name for row in group))
    return DigestEntry(
        title=lead.item.title,
        url=lead.item.url,
        summary=_short(lead.item.summary, 280),
        outlets=outlets,
        score=lead.score.score,
        why=lead.score.why[:4],
        published=lead.item.published_at.astimezone(zone).strftime("%d/%m %H:%M"),
        mentions=list(dict.fromkeys(m for row in group for m in row.score.mentions)),
        item_count=len(group),
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def build_digest(
    session: Session, start: datetime, end: datetime, topic_labels: dict[str, str], zone: ZoneInfo
) -> Digest:
    rows = queries.scored_items(session, collected_from=start, collected_to=end, decisions=("alert", "digest"))
    stories: dict[object, list[ScoredItem]] = {}
    for row in rows:  # already sorted by score, best first
        stories.setdefault(row.item.story_id or f"item-{row.item.id}", []).append(row)

    placed: dict[str, list[DigestEntry]] = {key: [] for key in (MENTION_SECTION[0], *topic_labels)}
    for group in stories.values():
        lead = group[0]
        if any(row.score.mentions for row in group):
            key = MENTION_SECTION[0]
        else:
            key = next((topic for topic in lead.score.topics if topic in topic_labels), "")
        if key:
            placed[key].append(_entry(group, zone))

    labels = {MENTION_SECTION[0]: MENTION_SECTION[1], **topic_labels}
    sections = [DigestSection(key, labels[key], entries) for key, entries in placed.items() if entries]
    failing = [(source.name, source.last_error or "") for source in queries.failing_sources(session)]
    return Digest(
        day=end.astimezone(zone).date(),
        start=start,
        end=end,
        zone=zone,
        sections=sections,
        counts=queries.window_counts(session, start, end),
        failing_sources=failing,
    )


_environment = Environment(
    loader=PackageLoader("alerts", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_environment.filters["french_date"] = french_date
_environment.filters["md"] = markdown_escape
_environment.filters["md_url"] = lambda url: url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def render(digest: Digest, fmt: str) -> str:
    """fmt: html or md."""
    template = _environment.get_template(f"digest.{fmt}.j2" if fmt != "html" else "digest.html")
    return template.render(digest=digest, local=lambda moment: moment.astimezone(digest.zone))


def write_digest(digest: Digest, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt, suffix in (("html", "html"), ("md", "md")):
        path = out_dir / f"veille-{digest.day.isoformat()}.{suffix}"
        path.write_text(render(digest, fmt), encoding="utf-8")
        written.append(path)
    return written
