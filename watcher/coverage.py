"""The recall audit: which sources saw each story and how long after the first, what only an aggregator saw, and
which outlet feeds delivered late.

Google News searches and Mastodon tags (categories `agregateur` and `social`) repeat what the outlets' own feeds
say. Where one of them sees a story that no direct feed delivered, the outlet behind its item (Google News names
it) is one to add to sources.yaml, unless sources.yaml has it already and its feed missed the story. Where an
aggregator saw an outlet's article more than `LATE` before the outlet's own feed delivered it, that feed is late.

Everything here is computed from rows read by store/coverage.py; nothing is written.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from store.coverage import StorySighting
from watcher.config import Config, SourceCategory, SourceConfig
from watcher.gnews import GOOGLE_NEWS_HOST
from watcher.status import duration
from watcher.text import fold
from watcher.wording import counted

LATE = timedelta(hours=6)
AGGREGATED = frozenset({SourceCategory.AGREGATEUR, SourceCategory.SOCIAL})
# Host prefixes that name a feed server or a mobile edition of the same site.
_HOST_PREFIXES = ("www.", "m.", "amp.", "rss.", "feeds.", "feed.", "flux.")
# « Le Monde — Santé », « Ouest-France (Bretagne) »: the outlet's name is the head.
_NAME_HEAD_RE = re.compile(r"\s+[—–\-:|(/]\s*|\s*\(")
_SITE_RE = re.compile(r"(?:^|\s)site:([^\s()]+)")


def site_host(url: str | None) -> str | None:
    """The host that names a site: lower case, without « www. » or a feed server's prefix."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").rstrip(".")
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                host, changed = host[len(prefix) :], True
    return host or None


def _same_site(one: str, other: str) -> bool:
    return one == other or one.endswith(f".{other}") or other.endswith(f".{one}")


def name_key(name: str) -> str:
    """« Ouest-France », « Ouest France » and « ouest‑france » are one name: folded, letters and digits only."""
    return "".join(char for char in fold(name) if char.isalnum())


@dataclass(frozen=True)
class Outlet:
    """The outlet behind an aggregator's item, and the source of sources.yaml that covers it, if any."""

    name: str | None
    host: str | None
    covered_by: str | None = None
    by_search: bool = False  # covered by a Google News « site: » search, not a feed of its own

    @property
    def label(self) -> str:
        if self.name and self.host and name_key(self.name) != name_key(self.host):
            return f"{self.name} ({self.host})"
        return self.name or self.host or "éditeur inconnu"

    @property
    def key(self) -> str:
        """Its site where known: Google News names one outlet « Le Monde » here and « Le Monde.fr » there."""
        return self.host or name_key(self.name or "")


@dataclass
class _Watched:
    source: SourceConfig
    names: set[str]
    hosts: set[str]


class Catalogue:
    """The sources of sources.yaml, as outlets: by name and by site (the feed's host, the hosts of the articles
    it delivered, and for a Google News search the sites its « site: » operators name)."""

    def __init__(self, config: Config, rows: Iterable[StorySighting] = ()) -> None:
        self.aggregated = {source.name for source in config.sources if source.category in AGGREGATED}
        self.measurable = any(source.enabled and source.category in AGGREGATED for source in config.sources)
        self._direct: dict[str, _Watched] = {}
        self._searches: list[_Watched] = []
        for source in config.sources:
            if source.category in AGGREGATED:
                sites = _searched_sites(source.url)
                if sites:
                    self._searches.append(_Watched(source, set(), sites))
                continue
            names = {name_key(source.name), name_key(_NAME_HEAD_RE.split(source.name, maxsplit=1)[0])}
            host = site_host(source.url)
            self._direct[source.name] = _Watched(source, names - {""}, {host} if host else set())
        for row in rows:  # the sites the direct feeds deliver articles from, where the feed is served elsewhere
            watched = self._direct.get(row.source)
            host = site_host(row.url)
            if watched is not None and host and host != GOOGLE_NEWS_HOST:
                watched.hosts.add(host)

    def is_aggregated(self, source: str) -> bool:
        return source in self.aggregated

    def covers(self, source: str, name: str | None, host: str | None) -> bool:
        """Whether the direct source `source` is the outlet named `name` at `host`."""
        watched = self._direct.get(source)
        return watched is not None and _matches(watched, name, host)

    def outlet(self, name: str | None, host: str | None) -> Outlet:
        for watched in self._direct.values():
            if _matches(watched, name, host):
                return Outlet(name, host, watched.source.name)
        for watched in self._searches:
            if _matches(watched, name, host):
                return Outlet(name, host, watched.source.name, by_search=True)
        return Outlet(name, host)


def _matches(watched: _Watched, name: str | None, host: str | None) -> bool:
    if name and name_key(name) in watched.names:
        return True
    if host:
        return any(_same_site(host, known) for known in watched.hosts)
    return False


def _searched_sites(url: str) -> set[str]:
    parts = urlsplit(url)
    if parts.hostname != GOOGLE_NEWS_HOST:
        return set()
    query = " ".join(parse_qs(parts.query).get("q", []))
    return {host for site in _SITE_RE.findall(query) if (host := site_host(f"https://{site.strip('/')}"))}


# --- the report ----------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    source: str
    at: datetime
    delay: timedelta  # after the story's first sighting
    aggregated: bool  # an aggregator or a social source
    social: bool = False


@dataclass(frozen=True)
class Late:
    source: str  # the direct feed
    aggregator: str  # the aggregator that saw the outlet's article first
    delay: timedelta  # between the two


@dataclass(frozen=True)
class StoryCoverage:
    story_id: int
    title: str
    first_seen: datetime
    seen: list[Seen]
    outlets: list[Outlet]  # behind the aggregators' items
    late: list[Late]

    @property
    def only_aggregated(self) -> bool:
        return all(seen.aggregated for seen in self.seen)

    @property
    def comparable(self) -> bool:
        """Seen by an aggregator or by several sources: one direct source alone has nothing to compare."""
        return len(self.seen) > 1 or self.only_aggregated


@dataclass(frozen=True)
class OutletToAdd:
    outlet: Outlet
    stories: int


@dataclass(frozen=True)
class LateSource:
    source: str
    stories: int
    longest: timedelta


@dataclass(frozen=True)
class CoverageReport:
    start: datetime
    end: datetime
    measurable: bool  # sources.yaml has an aggregator or social source
    stories: list[StoryCoverage]
    outlets_to_add: list[OutletToAdd] = field(default_factory=list)
    late_sources: list[LateSource] = field(default_factory=list)

    @property
    def only_aggregated(self) -> list[StoryCoverage]:
        return [story for story in self.stories if story.only_aggregated]

    @property
    def delivered_late(self) -> list[StoryCoverage]:
        return [story for story in self.stories if story.late]


def _aggregator_outlet(row: StorySighting, catalogue: Catalogue, social: bool) -> Outlet | None:
    if social:
        return None  # a post's author is a person or an account: no outlet can be told
    host = site_host(row.publisher_site) or site_host(row.url)
    if host in (GOOGLE_NEWS_HOST, site_host(row.source_url)):
        host = site_host(row.publisher_site)
    if not (row.publisher or host):
        return None
    return catalogue.outlet(row.publisher, host)


def story_coverage(rows: Sequence[StorySighting], catalogue: Catalogue, social: set[str]) -> StoryCoverage:
    """The coverage of one story from its sightings (all of one story, in time order)."""
    first: dict[str, datetime] = {}
    items: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        first[row.source] = min(first.get(row.source, row.seen_at), row.seen_at)
        items[row.source].add(row.item_id)
    began = min(first.values())
    seen = [
        Seen(source, at, at - began, catalogue.is_aggregated(source), source in social)
        for source, at in sorted(first.items(), key=lambda pair: (pair[1], pair[0]))
    ]
    outlets: dict[str, Outlet] = {}
    aggregated: list[tuple[StorySighting, Outlet | None]] = []
    for row in rows:
        if catalogue.is_aggregated(row.source):
            outlet = _aggregator_outlet(row, catalogue, row.source in social)
            aggregated.append((row, outlet))
            if outlet is not None:
                outlets.setdefault(outlet.key, outlet)
    late = []
    for entry in seen:
        if entry.aggregated:
            continue
        # The aggregator's sightings of this feed's own article: the same item, or one its outlet published.
        before = [
            row
            for row, outlet in aggregated
            if row.item_id in items[entry.source]
            or (outlet is not None and catalogue.covers(entry.source, outlet.name, outlet.host))
        ]
        if before:
            earliest = min(before, key=lambda row: row.seen_at)
            if entry.at - earliest.seen_at > LATE:
                late.append(Late(entry.source, earliest.source, entry.at - earliest.seen_at))
    return StoryCoverage(rows[0].story_id, rows[0].story_title, began, seen, list(outlets.values()), late)


def coverage_report(config: Config, rows: Sequence[StorySighting], start: datetime, end: datetime) -> CoverageReport:
    """The audit of the stories first seen in (start, end], from their sightings (store.coverage.story_sightings)."""
    catalogue = Catalogue(config, rows)
    social = {source.name for source in config.sources if source.category == SourceCategory.SOCIAL}
    by_story: dict[int, list[StorySighting]] = defaultdict(list)
    for row in rows:
        by_story[row.story_id].append(row)
    stories = sorted(
        (story_coverage(sorted(group, key=lambda row: row.seen_at), catalogue, social) for group in by_story.values()),
        key=lambda story: (story.first_seen, story.story_id),
    )
    unwatched = [
        (story.story_id, outlet)
        for story in stories
        if story.only_aggregated
        for outlet in story.outlets
        if outlet.covered_by is None
    ]
    # An outlet named without its site (an opaque link, no <source url>) is the one of that name seen with a site.
    sites = {name_key(outlet.name): outlet.host for _, outlet in unwatched if outlet.name and outlet.host}
    missing: dict[str, set[int]] = defaultdict(set)
    first_outlet: dict[str, Outlet] = {}
    for story_id, outlet in unwatched:
        key = outlet.host or sites.get(outlet.key, outlet.key)
        missing[key].add(story_id)
        if key not in first_outlet or (outlet.host and not first_outlet[key].host):
            first_outlet[key] = outlet  # shown with its site where one of its items gave it
    to_add = [OutletToAdd(first_outlet[key], len(story_ids)) for key, story_ids in missing.items()]
    to_add.sort(key=lambda entry: (-entry.stories, name_key(entry.outlet.label)))
    late_counts: Counter[str] = Counter()
    longest: dict[str, timedelta] = {}
    for story in stories:
        for late in story.late:
            late_counts[late.source] += 1
            longest[late.source] = max(longest.get(late.source, late.delay), late.delay)
    late_sources = [LateSource(source, count, longest[source]) for source, count in late_counts.items()]
    late_sources.sort(key=lambda entry: (-entry.stories, -entry.longest, entry.source))
    return CoverageReport(start, end, catalogue.measurable, stories, to_add, late_sources)


# --- French rendering ------------------------------------------------------------

WIDTH = 80
_DELAY_WIDTH = 12  # « +47 h 59 min »
# Spaces that must not end a line: inside « 7 h 10 min », and those that French puts inside guillemets.
_UNBREAKABLE_RE = re.compile(r"(?<=\d) (?=h\b|min\b|j\b|s\b|\d)|(?<=«) | (?=»)|(?<=\bh) (?=\d)")


def _wrap(text: str, indent: str = "", hanging: str = "  ", width: int = WIDTH) -> list[str]:
    protected = _UNBREAKABLE_RE.sub("\u00a0", text)
    lines = textwrap.wrap(
        protected, width, initial_indent=indent, subsequent_indent=hanging, break_long_words=False,
        break_on_hyphens=False,
    )  # fmt: skip
    return [line.replace("\u00a0", " ") for line in lines]


def _delay(delay: timedelta) -> str:
    return "premier" if delay < timedelta(minutes=1) else f"+{duration(delay)}"


def outlet_line(entry: OutletToAdd) -> str:
    return f"{entry.outlet.label} : {counted(entry.stories, 'récit vu', 'récits vus')} seulement par un agrégateur"


def late_line(entry: LateSource) -> str:
    stories = counted(entry.stories, "récit livré", "récits livrés")
    return f"{entry.source} : {stories} plus de {duration(LATE)} après un agrégateur, jusqu'à {duration(entry.longest)}"


def _covered(outlet: Outlet) -> str:
    if outlet.covered_by is None:
        return "absent de sources.yaml"
    if outlet.by_search:
        return f"suivi par la recherche « {outlet.covered_by} »"
    return f"dans sources.yaml (« {outlet.covered_by} ») mais son flux ne l'a pas livré"


def render(report: CoverageReport, zone: ZoneInfo) -> list[str]:
    """The audit in French, wrapped at 80 columns."""

    def when(moment: datetime, year: bool = False) -> str:
        return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M" if year else "%d/%m %H:%M")

    lines = _wrap(
        f"Couverture des sources : les récits vus pour la première fois du {when(report.start, True)} "
        f"au {when(report.end, True)} ({zone.key})"
    )
    if not report.measurable:
        return lines + _wrap(
            "Aucune source « agregateur » ou « social » active dans sources.yaml : rien à quoi comparer les flux "
            "directs."
        )
    shown = [story for story in report.stories if story.comparable]
    alone = len(report.stories) - len(shown)
    lines += _wrap(
        f"{counted(len(report.stories), 'récit', 'récits')}, dont "
        f"{counted(len(report.only_aggregated), 'vu', 'vus')} seulement par un agrégateur et "
        f"{counted(len(report.delivered_late), 'livré', 'livrés')} en retard par un flux direct."
    )
    if shown:
        lines += ["", "Récits, et les sources qui les ont vus (délai après la première) :"]
        for story in shown:
            lines += _wrap(f"• {when(story.first_seen)} — {story.title}")
            late = {entry.source for entry in story.late}
            for seen in story.seen:
                kind = "réseau social" if seen.social else "agrégateur"
                tag = f" ({kind})" if seen.aggregated else (" — en retard" if seen.source in late else "")
                indent = f"  {_delay(seen.delay):>{_DELAY_WIDTH}}  "
                lines += _wrap(f"{seen.source}{tag}", indent, " " * len(indent))
    if alone:
        lines += _wrap(f"Non listés : {counted(alone, 'récit vu', 'récits vus')} par un seul flux direct.")
    if report.only_aggregated:
        lines += ["", "Vus seulement par un agrégateur :"]
        for story in report.only_aggregated:
            lines += _wrap(f"• {story.title}")
            lines += _wrap(
                f"vu le {when(story.first_seen)} par {', '.join(s.source for s in story.seen)}", "  ", "    "
            )
            for outlet in story.outlets:
                lines += _wrap(f"publié par {outlet.label} : {_covered(outlet)}", "  ", "    ")
            if not story.outlets:
                lines += _wrap("éditeur inconnu (un message de réseau social, ou un lien qui ne le nomme pas)", "  ")
    if report.delivered_late:
        lines += ["", f"Livrés par un flux direct plus de {duration(LATE)} après un agrégateur :"]
        for story in report.delivered_late:
            lines += _wrap(f"• {story.title}")
            for entry in story.late:
                lines += _wrap(f"{entry.source} : {duration(entry.delay)} après {entry.aggregator}", "  ", "    ")
    lines += ["", "Bilan", "Médias à ajouter :"]
    lines += [line for entry in report.outlets_to_add for line in _wrap(f"- {outlet_line(entry)}", "  ", "    ")]
    lines += [] if report.outlets_to_add else ["  aucun"]
    lines.append("Sources en retard :")
    lines += [line for entry in report.late_sources for line in _wrap(f"- {late_line(entry)}", "  ", "    ")]
    lines += [] if report.late_sources else ["  aucune"]
    return lines
