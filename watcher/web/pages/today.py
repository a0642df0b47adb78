"""« Aujourd'hui »: the day's items by theme and by story, with filters, and the archive search."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from store import browse, outbox
from store.db import session_scope
from store.queries import ScoredItem
from store.search import SearchResults
from watcher.search import SearchQueryError, search_results
from watcher.web import security
from watcher.web.page import Desk, render

DECISIONS = {"alert": "alertes", "digest": "synthèse", "drop": "écartés"}
MENTION_SECTION = ("mention", "On parle de nous")
OTHER_SECTION = ("autre", "Sans thème")
SEARCH_PAGE = 20  # results a page; « suivants » brings the next ones of the ranked newest matches


@dataclass
class StoryGroup:
    lead: ScoredItem
    others: list[ScoredItem]
    outlets: list[str]
    alert: bool
    follow_up: bool = False


@dataclass
class Section:
    key: str
    label: str
    stories: list[StoryGroup] = field(default_factory=list)


@dataclass
class Filters:
    theme: str = ""
    decision: str = ""
    source: str = ""
    start: str = ""
    end: str = ""
    query: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)


def _day(text: str, label: str, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label} : date invalide « {text} » (format attendu : AAAA-MM-JJ)")
        return None


def group_stories(rows: list[ScoredItem], topics: dict[str, str]) -> list[Section]:
    """One entry per story, placed as in the digest: a mention of the collective first, then the first theme."""
    stories: dict[object, list[ScoredItem]] = {}
    for row in rows:  # best score first: the lead tells the story
        stories.setdefault(row.item.story_id or f"item-{row.item.id}", []).append(row)
    sections = {key: Section(key, label) for key, label in [MENTION_SECTION, *topics.items(), OTHER_SECTION]}
    for group in stories.values():
        lead = group[0]
        if any(row.score.mentions for row in group):
            key = MENTION_SECTION[0]
        else:
            key = next((topic for topic in lead.score.topics if topic in topics), OTHER_SECTION[0])
        outlets = list(dict.fromkeys(row.item.publisher or row.source.name for row in group))
        alert = any(row.score.decision == "alert" for row in group)
        sections[key].stories.append(StoryGroup(lead, group[1:], outlets, alert))
    return [section for section in sections.values() if section.stories]


def today(request: Request) -> Response:
    security.require(request)
    desk: Desk = request.app.state.desk
    params = request.query_params
    topics = {key: topic.label for key, topic in desk.config.topics.items()}
    f = Filters(
        theme=params.get("theme", ""),
        decision=params.get("decision", ""),
        source=params.get("source", ""),
        start=params.get("du", ""),
        end=params.get("au", ""),
        query=params.get("q", "").strip(),
    )
    page = params.get("page", "1")
    if page.isdigit() and int(page) >= 1:
        f.page = int(page)
    else:
        f.errors.append(f"page invalide « {page} » (un nombre à partir de 1)")
    if f.theme and f.theme not in topics:
        f.errors.append(f"thème inconnu « {f.theme} »")
        f.theme = ""
    if f.decision and f.decision not in (*DECISIONS, "tout"):
        f.errors.append(f"décision inconnue « {f.decision} »")
        f.decision = ""
    first, last = _day(f.start, "du", f.errors), _day(f.end, "au", f.errors)
    now = desk.now()
    zone = desk.zone
    start = datetime.combine(first, time(), tzinfo=zone) if first else now - timedelta(days=1)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone) if last else now
    if start >= end:
        f.errors.append("la période est vide : « du » doit précéder « au »")
    decisions = None if f.decision == "tout" else [f.decision] if f.decision else ["alert", "digest"]
    with session_scope(desk.engine) as session:
        names = browse.source_names(session)
        if f.source and f.source not in names:
            f.errors.append(f"source inconnue « {f.source} »")
            f.source = ""
        # A search shows its results, not the day: the day is not read.
        rows = (
            []
            if f.errors or f.query
            else browse.period_items(session, start=start, end=end, decisions=decisions, source=f.source or None)
        )
        if f.theme:
            rows = [row for row in rows if f.theme in row.score.topics]
        sections = group_stories(rows, topics)
        ids = [group.lead.item.story_id for s in sections for group in s.stories if group.lead.item.story_id]
        earlier = outbox.stories_in_earlier_digests(session, ids, now.astimezone(zone).date())
    for section in sections:
        for group in section.stories:
            group.follow_up = group.lead.item.story_id in earlier
    results: SearchResults | None = None
    if f.query and not f.errors:
        try:
            results = search_results(
                desk.engine,
                f.query,
                since=datetime.combine(first, time(), tzinfo=zone) if first else None,
                topic=f.theme or None,
                source=f.source or None,
                limit=SEARCH_PAGE,
                offset=(f.page - 1) * SEARCH_PAGE,
            )
        except SearchQueryError as exc:
            f.errors.append(str(exc))
    return render(
        request,
        "today.html",
        status=400 if f.errors else 200,
        filters=f,
        sections=sections,
        results=results,
        page_size=SEARCH_PAGE,
        page_link=lambda number: "/?" + urlencode({**params, "page": number}),
        topics=topics,
        decisions=DECISIONS,
        sources=names,
        start=start,
        end=end,
        count=len(rows),
    )


routes = [Route("/", today, methods=["GET"])]
