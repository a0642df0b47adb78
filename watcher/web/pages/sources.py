"""« Sources » (the health table, re-enabling a source the site declared gone) and « Règles » (`rules stats`)."""

from __future__ import annotations

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from store import merges, splits, verdicts
from store.db import session_scope
from store.health import source_health_rows
from store.models import Role
from store.sources import enable_source
from watcher.config import ConfigError
from watcher.health import assess_all, with_configured
from watcher.pipeline import source_specs
from watcher.rules_stats import merges_line, rule_stats, splits_line
from watcher.web import security
from watcher.web.page import Desk, back, render

RULES_PERIODS = (7, 30, 90, 365)  # days
RULES_DEFAULT_DAYS = 30


def sources(request: Request) -> Response:
    security.require(request)
    desk_: Desk = request.app.state.desk
    now = desk_.now()
    with session_scope(desk_.engine) as session:
        rows = with_configured(source_health_rows(session, now), source_specs(desk_.config))
    health = assess_all(rows, now, desk_.zone)
    return render(request, "sources.html", health=health, broken=sum(h.broken for h in health))


async def reenable(request: Request) -> Response:
    _, form = await security.acting_form(request, Role.ADMIN)
    desk_: Desk = request.app.state.desk
    name = str(form.get("source") or "")
    try:
        desk_.config.source(name)
    except ConfigError:
        security.flash(request, f"Source « {name} » absente de sources.yaml : rien à réactiver.", "erreur")
        return back("/sources")

    def work() -> bool:
        with session_scope(desk_.engine) as session:
            source = enable_source(session, name, desk_.now())
            return source is not None

    if await run_in_threadpool(work):
        security.flash(request, f"Source « {name} » réactivée : elle sera collectée au prochain cycle.")
    else:
        security.flash(request, f"Source « {name} » jamais collectée : rien à réactiver.", "erreur")
    return back("/sources")


def rules(request: Request) -> Response:
    """The rules measured over the items of a recent period: the page reads that period's day counts, never the whole
    archive (`watcher rules stats` measures them all); rules change over time, and recent figures tell of today's."""
    security.require(request)
    desk_: Desk = request.app.state.desk
    text = request.query_params.get("jours") or str(RULES_DEFAULT_DAYS)
    if not text.isdigit() or int(text) not in RULES_PERIODS:
        raise HTTPException(
            400, f"Période inconnue « {text} » (en jours : {', '.join(str(days) for days in RULES_PERIODS)})."
        )
    days = int(text)
    with session_scope(desk_.engine) as session:
        counts = verdicts.reason_counts(session, since=desk_.now() - timedelta(days=days))
        stats = rule_stats(counts)
        split_total = splits.split_count(session)
        merge_total = merges.merge_count(session)
    return render(
        request,
        "rules.html",
        stats=stats,
        days=days,
        periods=RULES_PERIODS,
        items=counts.items,
        splits=splits_line(split_total),
        merges=merges_line(merge_total),
        topic_labels={key: topic.label for key, topic in desk_.config.topics.items()},
    )


routes = [
    Route("/sources", sources, methods=["GET"]),
    Route("/sources/reactiver", reenable, methods=["POST"]),
    Route("/regles", rules, methods=["GET"]),
]
