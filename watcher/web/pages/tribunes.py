"""« Tribunes »: by status, with outlet, deadline and published address; changes go through `desk.set_tribune`."""

from __future__ import annotations

from datetime import date
from functools import cache

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from store import desk as store_desk
from store.db import session_scope
from store.models import TribuneStatus
from watcher import desk
from watcher.web import security
from watcher.web.page import Desk, back, render

# The page stays short whatever the archive holds: each status shows this many, « suivantes » the next ones of that
# status alone; the CLI lists them all.
SHOWN_PER_STATUS = 20
CLOSED = (TribuneStatus.PUBLIEE, TribuneStatus.ABANDONNEE)


def tribunes(request: Request) -> Response:
    security.require(request)
    desk_: Desk = request.app.state.desk
    shown, page = _shown(request.query_params.get("statut", ""), request.query_params.get("page", "1"))
    offset = (page - 1) * SHOWN_PER_STATUS
    with session_scope(desk_.engine) as session:
        counts = store_desk.tribune_counts(session)
        # The open ones by deadline; of the closed ones, which only grow, the latest.
        groups = [
            (
                status,
                label,
                store_desk.tribunes(
                    session, status, limit=SHOWN_PER_STATUS, offset=offset, latest_first=status in CLOSED
                ),
                counts.get(status, 0),
            )
            for status, label in desk.TRIBUNE_LABELS.items()
            if status in shown
        ]
    return render(
        request,
        "tribunes.html",
        groups=groups,
        # Each tribune's form lists the statuses, its own selected: the four lists are made once, not row after row
        # (the first page holds up to 80 forms).
        status_options=_status_options(),
        count=sum(counts.values()),
        page=page,
        offset=offset,
        one_status=len(shown) == 1,
    )


@cache
def _status_options() -> dict[str, Markup]:
    """The <option> list of the status field, for a tribune of each status."""
    return {
        current.value: Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                code.value, Markup(" selected") if code == current else "", text
            )
            for code, text in desk.TRIBUNE_LABELS.items()
        )
        for current in desk.TRIBUNE_LABELS
    }


def _shown(status: str, page: str) -> tuple[list[TribuneStatus], int]:
    """The statuses the page shows (one, or all) and the page of each."""
    if not page.isdigit() or int(page) < 1:
        raise HTTPException(400, f"Page invalide « {page} » (un nombre à partir de 1).")
    if not status:
        if int(page) > 1:
            raise HTTPException(400, "Une page au-delà de la première se demande pour un statut (« statut=… »).")
        return list(desk.TRIBUNE_LABELS), 1
    known = {code.value: code for code in desk.TRIBUNE_LABELS}
    if status not in known:
        raise HTTPException(400, f"Statut inconnu « {status} » (statuts : {', '.join(known)}).")
    return [known[status]], int(page)


def parse_day(text: str, label: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise desk.DeskError(f"{label} : date invalide « {text} » (format attendu : AAAA-MM-JJ)") from None


async def update(request: Request) -> Response:
    user, form = await security.acting_form(request)
    desk_: Desk = request.app.state.desk
    item_id = request.path_params["item_id"]
    values = {key: value.strip() for key, value in security.text_fields(form).items()}

    def work() -> str:
        status = desk.tribune_status(values["statut"]) if values.get("statut") else None
        deadline = parse_day(values.get("echeance", ""), "échéance")
        published = parse_day(values.get("parution", ""), "date de parution")
        with session_scope(desk_.engine) as session:
            tribune, mention = desk.set_tribune(
                session,
                item_id,
                desk_.config,
                who=user.name,
                now=desk_.now(),
                status=status,
                outlet=values.get("media") or None,
                deadline=deadline,
                url=values.get("adresse") or None,
                title=values.get("titre") or None,
                published_on=published,
            )
            label = desk.TRIBUNE_LABELS[TribuneStatus(tribune.status)]
            return f"Tribune : {label}." + (" Inscrite au registre « On parle de nous »." if mention else "")

    try:
        message = await run_in_threadpool(work)
    except desk.DeskError as exc:
        security.flash(request, f"Tribune non modifiée : {exc}.", "erreur")
        return back("/tribunes")
    except KeyError:
        raise HTTPException(400, "Formulaire incomplet.") from None
    security.flash(request, message)
    return back("/tribunes")


routes = [
    Route("/tribunes", tribunes, methods=["GET"]),
    Route("/tribunes/{item_id:int}", update, methods=["POST"]),
]
