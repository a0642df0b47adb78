"""« Sources » (the health table, re-enabling a source the site declared gone) and « Règles » (`rules stats`)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from store import splits, verdicts
from store.db import session_scope
from store.health import source_health_rows
from store.models import Role
from store.sources import enable_source
from watcher.config import ConfigError
from watcher.health import assess_all, with_configured
from watcher.pipeline import source_specs
from watcher.rules_stats import rule_stats, splits_line
from watcher.web import security
from watcher.web.page import Desk, back, render


def sources(request: Request) -> Response:
    security.require(request)
    desk_: Desk = request.app.state.desk
    now = desk_.now()
    with session_scope(desk_.engine) as session:
        rows = with_configured(source_health_rows(session, now), source_specs(desk_.config))
    health = assess_all(rows, now, desk_.zone)
    return render(request, "sources.html", health=health, broken=sum(h.broken for h in health))


async def reenable(request: Request) -> Response:
    security.require(request)
    form = await request.form()
    security.check_csrf(request, form)
    security.require(request, Role.ADMIN)
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
    security.require(request)
    desk_: Desk = request.app.state.desk
    with session_scope(desk_.engine) as session:
        stats = rule_stats(verdicts.scored_reasons(session), verdicts.verdicts(session))
        split_total = splits.split_count(session)
    return render(request, "rules.html", stats=stats, splits=splits_line(split_total))


routes = [
    Route("/sources", sources, methods=["GET"]),
    Route("/sources/reactiver", reenable, methods=["POST"]),
    Route("/regles", rules, methods=["GET"]),
]
