"""The daily digest: what the window brought, one entry per story, to read in five minutes.

It opens with « À lire », the strongest stories (at most `digest.top`) with their lead, outlets and
reasons in words; « Aussi » follows, the other stories grouped by section, one line a title. Points
and rule names stay in `watcher preview` and the desk: the group reads words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlmodel import Session

from alerts.parlement import ParlementEntry, entry_from_row
from alerts.slack import mrkdwn
from store import outbox, queries, stories
from store.parliament import parliament_items
from store.queries import ScoredItem, WindowCounts

_MARKDOWN_SPECIALS = re.compile(r"[\\`*_\[\]<>|]")
MENTION_SECTION = ("mention", "On parle de nous")
PARLIAMENT_SECTION = ("parlement", "Parlement")
TRIBUNE_SECTION = ("tribune", "À creuser pour une tribune")
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


OTHERS_SHOWN = 5  # articles listed under a story; the rest are counted


@dataclass(frozen=True)
class OtherArticle:
    """Another article of a story in the digest, listed under its lead: « 3 suites sur le même sujet »."""

    title: str
    url: str
    outlet: str
    published: str  # local time, already formatted


@dataclass(frozen=True)
class DigestEntry:
    title: str
    url: str
    summary: str
    outlets: list[str]
    score: int
    reason: str  # why it is here, in words (the judgement's summary)
    published: str  # local time, already formatted
    mentions: list[str]
    item_count: int
    story_id: int | None = None
    follow_up: bool = False  # « suite »: the story was in an earlier digest
    note: str | None = None  # tribune: why it was flagged
    parlement: ParlementEntry | None = None  # typed parliamentary fields; the title is then its headline
    alert: bool = False  # the story raised an alert
    section: str = ""  # the key of the section it belongs to
    section_label: str = ""  # shown beside it in « À lire », where sections mix
    # The story's other articles of the period, oldest first, nested under its lead (« 3 suites sur le même sujet »);
    # the words « sur le même sujet » set them apart from the « suite » label of a story seen in an earlier digest.
    others: tuple[OtherArticle, ...] = ()

    @property
    def others_shown(self) -> tuple[OtherArticle, ...]:
        return self.others[:OTHERS_SHOWN]

    @property
    def others_more(self) -> int:
        return max(0, len(self.others) - OTHERS_SHOWN)


@dataclass(frozen=True)
class DigestSection:
    key: str
    label: str
    entries: list[DigestEntry]


@dataclass(frozen=True)
class CoverageSection:
    """« Couverture », in the weekly digest: outlets to add and late feeds, each already a French line
    (watcher/coverage.py), the first few of each; `watcher sources coverage` has them all."""

    outlets: list[str]
    late: list[str]
    more_outlets: int = 0  # not shown
    more_late: int = 0


@dataclass(frozen=True)
class Digest:
    day: date
    start: datetime
    end: datetime
    zone: ZoneInfo
    sections: list[DigestSection]
    counts: WindowCounts
    failing_sources: list[tuple[str, str]] = field(default_factory=list)
    # « Sources en panne »: failing, silent or disabled sources, each with a French verdict (watcher.health).
    broken_sources: Sequence[Any] = ()
    kind: str = "daily"  # daily | weekly
    top: list[DigestEntry] = field(default_factory=list)  # « À lire »; `sections` hold the rest (« Aussi »)
    coverage: CoverageSection | None = None  # weekly only

    @property
    def title(self) -> str:
        if self.kind == "weekly":
            return f"Veille Action Patients — semaine jusqu'au {french_date(self.day)}"
        return f"Veille Action Patients — {french_date(self.day)}"

    @property
    def entries(self) -> list[DigestEntry]:
        return [*self.top, *(entry for section in self.sections for entry in section.entries)]

    @property
    def story_count(self) -> int:
        return len(self.entries)

    @property
    def article_count(self) -> int:
        return sum(entry.item_count for entry in self.entries)

    @property
    def subject(self) -> str:
        """« Veille Action Patients — lundi 23 novembre 2026 : 12 articles »."""
        count = self.article_count
        return f"{self.title} : {count} article{'s' if count > 1 else ''}"

    @property
    def story_ids(self) -> list[int]:
        return [entry.story_id for entry in self.entries if entry.story_id is not None]


def digest_window(
    day: date, at: time, zone: ZoneInfo, length: timedelta = timedelta(days=1)
) -> tuple[datetime, datetime]:
    """The period (24 hours by default) that ends on `day` at the digest time, in the collective's time zone."""
    end = datetime.combine(day, at, tzinfo=zone)
    return end - length, end


def _entry(group: list[ScoredItem], zone: ZoneInfo, earlier: set[int]) -> DigestEntry:
    lead = group[0]  # the best-scored item tells the story
    outlets = list(dict.fromkeys(row.item.publisher or row.source.name for row in group))
    return DigestEntry(
        story_id=lead.item.story_id,
        follow_up=lead.item.story_id in earlier,
        title=lead.item.title,
        url=lead.item.url,
        summary=_short(lead.item.summary, 280),
        outlets=outlets,
        score=lead.score.score,
        reason=lead.score.summary,
        alert=any(row.score.decision == "alert" for row in group),
        published=lead.item.published_at.astimezone(zone).strftime("%d/%m %H:%M"),
        mentions=list(dict.fromkeys(m for row in group for m in row.score.mentions)),
        item_count=len(group),
        others=tuple(
            OtherArticle(
                row.item.title,
                row.item.url,
                row.item.publisher or row.source.name,
                row.item.published_at.astimezone(zone).strftime("%d/%m %H:%M"),
            )
            for row in sorted(group[1:], key=lambda row: (row.item.published_at, row.item.id or 0))
        ),
    )


def parlement_entry(entry: DigestEntry, typed: ParlementEntry) -> DigestEntry:
    """« Amendement n° 1234 (M. X, groupe Y) au PLFSS 2027 — rejeté » as the title; the document's own title below."""
    title = typed.headline
    return replace(entry, title=title, summary="" if typed.title == title else typed.title, parlement=typed)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _tribune_entries(
    session: Session, flagged_items: list[outbox.FlaggedItem], zone: ZoneInfo, earlier: set[int]
) -> list[DigestEntry]:
    entries = []
    for flagged in flagged_items:
        item = flagged.item
        outlets = stories.story_outlets(session, item.story_id) if item.story_id else []
        entries.append(
            DigestEntry(
                title=item.title,
                url=item.url,
                summary=_short(item.summary, 280),
                outlets=outlets or [item.publisher or flagged.source.name],
                score=0,
                reason="",
                published=item.published_at.astimezone(zone).strftime("%d/%m %H:%M"),
                mentions=[],
                item_count=max(1, len(outlets)),
                story_id=item.story_id,
                follow_up=item.story_id in earlier,
                note=flagged.tribune.note,
            )
        )
    return entries


def build_digest(
    session: Session,
    start: datetime,
    end: datetime,
    topic_labels: dict[str, str],
    zone: ZoneInfo,
    *,
    parliament_sources: frozenset[str] | set[str] = frozenset(),
    kind: str = "daily",
    broken_sources: Sequence[Any] = (),
    top: int = 12,
    coverage: CoverageSection | None = None,
) -> Digest:
    """« À lire » (the `top` strongest stories), then the others by section: « On parle de nous », each theme,
    Parlement; then « À creuser pour une tribune »; and in the weekly digest, « Couverture ».

    Each story appears once: a story flagged for a tribune is listed there only;
    otherwise a mention of the collective wins, then a parliamentary source, then its first theme
    (a story that matches no theme is left out, parliamentary or not).
    """
    day = end.astimezone(zone).date()
    rows = queries.scored_items(session, collected_from=start, collected_to=end, decisions=("alert", "digest"))
    stories: dict[object, list[ScoredItem]] = {}
    for row in rows:  # already sorted by score, best first
        stories.setdefault(row.item.story_id or f"item-{row.item.id}", []).append(row)
    flagged_items = outbox.open_tribunes(session)
    flagged_ids = {f.item.story_id for f in flagged_items}
    all_ids = [row.item.story_id for row in rows if row.item.story_id is not None]
    earlier = outbox.stories_in_earlier_digests(session, [*all_ids, *filter(None, flagged_ids)], day)

    typed = {
        row.item.id: entry_from_row(row)
        for row in parliament_items(session, collected_from=start, collected_to=end, decisions=None)
    }
    order = (MENTION_SECTION[0], *topic_labels, PARLIAMENT_SECTION[0])
    labels = {MENTION_SECTION[0]: MENTION_SECTION[1], **topic_labels, PARLIAMENT_SECTION[0]: PARLIAMENT_SECTION[1]}
    placed: dict[str, list[DigestEntry]] = {key: [] for key in order}
    for story_key, group in stories.items():
        if story_key in flagged_ids:
            continue
        lead = group[0]
        lead_typed = typed.get(lead.item.id)
        if any(row.score.mentions for row in group):
            key = MENTION_SECTION[0]
        elif lead_typed is not None:
            # A tracked bill's text may match no theme and still belong to the digest.
            key = PARLIAMENT_SECTION[0]
        else:
            key = next((topic for topic in lead.score.topics if topic in topic_labels), "")
            # A press story that Parliament also published stays with its theme; Parlement is for
            # what Parliament itself tells.
            if key and lead.source.name in parliament_sources:
                key = PARLIAMENT_SECTION[0]
        if key:
            entry = replace(_entry(group, zone, earlier), section=key, section_label=labels[key])
            if key == PARLIAMENT_SECTION[0] and lead_typed is not None:
                entry = parlement_entry(entry, lead_typed)
            placed[key].append(entry)

    # Alerts, then tracked bills, first in Parlement: a tracked bill's amendment can be urgent with a modest score.
    placed[PARLIAMENT_SECTION[0]].sort(
        key=lambda entry: (
            not (entry.parlement and entry.parlement.decision == "alert"),
            not (entry.parlement and entry.parlement.tracked),
        )
    )
    chosen = _top_stories([entry for entries in placed.values() for entry in entries], top)
    picked = {id(entry) for entry in chosen}
    sections = [
        DigestSection(key, labels[key], rest)
        for key, entries in placed.items()
        if (rest := [entry for entry in entries if id(entry) not in picked])
    ]
    tribunes = _tribune_entries(session, flagged_items, zone, earlier)
    if tribunes:
        sections.append(DigestSection(TRIBUNE_SECTION[0], TRIBUNE_SECTION[1], tribunes))
    failing = [(source.name, source.last_error or "") for source in queries.failing_sources(session)]
    return Digest(
        kind=kind,
        day=day,
        start=start,
        end=end,
        zone=zone,
        sections=sections,
        counts=queries.window_counts(session, start, end),
        failing_sources=failing,
        broken_sources=broken_sources,
        top=chosen,
        coverage=coverage if kind == "weekly" else None,
    )


def _top_stories(entries: list[DigestEntry], top: int) -> list[DigestEntry]:
    """« À lire »: mentions of the collective, then the stories that alerted, then the best scores.

    Every tie has a key (the story id last), so that the same stories give the same digest.
    """
    ranked = sorted(
        entries,
        key=lambda entry: (entry.section != MENTION_SECTION[0], not entry.alert, -entry.score, entry.story_id or 0),
    )
    return ranked[:top]


_environment = Environment(
    loader=PackageLoader("alerts", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_environment.filters["french_date"] = french_date
_environment.filters["md"] = markdown_escape
_environment.filters["slack"] = mrkdwn
_environment.filters["md_url"] = lambda url: url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def render(digest: Digest, fmt: str) -> str:
    """fmt: html, md (archive), txt (the e-mail's plain-text part) or slack (mrkdwn, parts split by form feeds)."""
    template = _environment.get_template(f"digest.{fmt}.j2" if fmt != "html" else "digest.html")
    return template.render(digest=digest, local=lambda moment: moment.astimezone(digest.zone))


def slack_parts(digest: Digest) -> list[str]:
    """The Slack digest: the first part is the channel message, the others go in its thread."""
    return [part.strip("\n") for part in render(digest, "slack").split("\f") if part.strip()]


def archive_name(digest: Digest) -> str:
    prefix = "veille-hebdo" if digest.kind == "weekly" else "veille"
    return f"{prefix}-{digest.day.isoformat()}"


def write_digest(digest: Digest, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt, suffix in (("html", "html"), ("md", "md")):
        path = out_dir / f"{archive_name(digest)}.{suffix}"
        path.write_text(render(digest, fmt), encoding="utf-8")
        written.append(path)
    return written
