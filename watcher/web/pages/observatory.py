"""« Observatoire »: the year of the Observatoire des pertes de chances (counts, map, chart, items, files), and the
correction of an item's place and kinds of loss from its article page.

The figures are `watcher.observatory.summary`'s, as `watcher observatoire summary` prints them; the pictures are
`watcher observatoire carte`'s, drawn in SVG; the files are `watcher observatoire export`'s, byte for byte; a
correction is `watcher.observatory.correct`, as `watcher observatoire correct` makes it.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from store import desk as store_desk
from store.db import session_scope
from watcher import observatory, observatory_files
from watcher.exports import MONTH_ABBREVIATIONS
from watcher.losses import LOSS_KINDS
from watcher.observatory import KIND_LABELS, ObservatoryItem, ObservatorySummary
from watcher.place import Place, gazetteer
from watcher.text import fold
from watcher.web import security
from watcher.web.page import Desk, back, render

PAGE = "/observatoire"
LEVELS = {"region": "par région", "departement": "par département"}
DOWNLOADS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SVG = "image/svg+xml"


def _year(request: Request, text: str | None) -> int:
    desk_: Desk = request.app.state.desk
    if not text:
        return desk_.now().astimezone(desk_.zone).year
    if not text.isdigit() or not 1900 <= int(text) <= 9999:
        raise HTTPException(400, f"Année invalide « {text} » (quatre chiffres attendus, par exemple 2026).")
    return int(text)


def _level(request: Request) -> str:
    level = request.query_params.get("niveau") or "region"
    if level not in LEVELS:
        raise HTTPException(400, f"Niveau inconnu « {level} » : « region » ou « departement » attendu.")
    return level


def _items(desk_: Desk, year: int) -> list[ObservatoryItem]:
    with session_scope(desk_.engine) as session:
        return observatory.observatory_items(session, date(year, 1, 1), date(year, 12, 31), desk_.zone)


def place_words(place: Place) -> str:
    """« Rennes (35238), Ille-et-Vilaine, Bretagne », « France entière » or « lieu inconnu »."""
    if place.national:
        return "France entière"
    commune = f"{place.commune} ({place.code_insee})" if place.commune else None
    parts = [part for part in (commune, place.departement, place.region) if part]
    return ", ".join(parts) or "lieu inconnu"


def kind_words(kinds: list[str]) -> str:
    return ", ".join(KIND_LABELS[kind] for kind in kinds) or "aucun"


def _area_alt(summary: ObservatorySummary, level: str) -> str:
    places = gazetteer()
    names = places.regions if level == "region" else places.departements
    counts = summary.by_region if level == "region" else summary.by_departement
    listed = sorted(counts.items(), key=lambda pair: (-pair[1], names[pair[0]].name))
    said = "; ".join(f"{names[code].name} : {count}" for code, count in listed) or "aucun article placé"
    return f"Carte de France des pertes de chances {summary.year}, {LEVELS[level]}. {said}. Détail dans le tableau."


def _chart_alt(summary: ObservatorySummary) -> str:
    months = MONTH_ABBREVIATIONS
    said = "; ".join(f"{months[month - 1]} : {count}" for month, count in summary.by_month.items() if count)
    return (
        f"Graphique des pertes de chances {summary.year} mois par mois, par type de perte. "
        f"Articles par mois : {said or 'aucun'}. Détail dans le tableau."
    )


def page(request: Request) -> Response:
    security.require(request)
    desk_: Desk = request.app.state.desk
    year, level = _year(request, request.query_params.get("annee")), _level(request)
    items = _items(desk_, year)
    summary = observatory.summarise(items, year)
    regions, kinds, departements = observatory_files.summary_tables(summary)
    return render(
        request,
        "observatory.html",
        year=year,
        level=level,
        levels=LEVELS,
        summary=summary,
        area_table=regions if level == "region" else departements,
        region_table=regions,
        departement_table=departements,
        kind_table=kinds,
        area_alt=_area_alt(summary, level),
        chart_alt=_chart_alt(summary),
        items=items,
        place_words=place_words,
        kind_words=kind_words,
    )


async def area_map(request: Request) -> Response:
    """The map of `watcher observatoire carte` (by région, or by département with niveau=departement), in SVG."""
    security.require(request)
    desk_: Desk = request.app.state.desk
    year, level = _year(request, str(request.path_params["year"])), _level(request)

    def draw() -> str:
        from watcher import observatory_pictures as pictures  # matplotlib, loaded when a picture is asked for

        summary = observatory.summarise(_items(desk_, year), year)
        counts = summary.by_region if level == "region" else summary.by_departement
        notes = pictures.summary_notes(summary.total, summary.national, summary.unplaced)
        return pictures.svg_text(pictures.year_map(year, counts, level, notes), pictures.map_titles(counts, level))

    return Response(await run_in_threadpool(draw), media_type=SVG)


async def month_chart(request: Request) -> Response:
    """The monthly chart of `watcher observatoire carte`, in SVG."""
    security.require(request)
    desk_: Desk = request.app.state.desk
    year = _year(request, str(request.path_params["year"]))

    def draw() -> str:
        from watcher import observatory_pictures as pictures

        summary = observatory.summarise(_items(desk_, year), year)
        figure = pictures.year_chart(year, summary.by_month_kind, summary.by_month)
        return pictures.svg_text(figure, pictures.chart_titles(summary.by_month_kind))

    return Response(await run_in_threadpool(draw), media_type=SVG)


def download(request: Request) -> Response:
    """The file `watcher observatoire export --from Y-01-01 --to Y-12-31 --format F --out FILE` writes."""
    security.require(request)
    desk_: Desk = request.app.state.desk
    year, fmt = _year(request, str(request.path_params["year"])), request.path_params["fmt"]
    if fmt not in DOWNLOADS:
        raise HTTPException(404, f"Format inconnu « {fmt} » (csv, xlsx ou json).")
    items = _items(desk_, year)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"observatoire.{fmt}"
        observatory_files.write_items(items, fmt, path, path.stem)
        body = path.read_bytes()
    name = f"observatoire-{year}.{fmt}"
    return Response(body, media_type=DOWNLOADS[fmt], headers={"content-disposition": f'attachment; filename="{name}"'})


def article_context(session: Session, item_id: int, desk_: Desk) -> dict[str, object]:
    """What the article page shows of the observatoire: the item's place and kinds, and the correction form."""
    held = observatory.observatory_item(session, item_id, desk_.zone)
    return {
        "observatoire": held,
        "observatoire_place": place_words(held.place) if held else "",
        "observatoire_kinds": kind_words(held.kind) if held else "",
        "loss_kinds": [(kind, KIND_LABELS[kind]) for kind in LOSS_KINDS],
        "regions": sorted((region.name for region in gazetteer().regions.values()), key=fold),
    }


async def correct(request: Request) -> Response:
    """Correct the place (corriger=lieu) or the kinds of loss (corriger=types) of an item."""
    user, form = await security.acting_form(request)
    desk_: Desk = request.app.state.desk
    item_id: int = request.path_params["item_id"]
    what = form.get("corriger")

    def given(name: str) -> str | None:
        value = form.get(name)
        return value.strip() or None if isinstance(value, str) else None

    def plan() -> observatory.Correction:
        if what == "lieu":
            return observatory.plan_correction(
                commune=given("commune"),
                departement=given("departement"),
                region=given("region"),
                national=given("national") == "oui",
            )
        if what == "types":
            return observatory.plan_correction(kinds=[k for k in form.getlist("type") if isinstance(k, str)])
        raise HTTPException(400, f"Correction inconnue « {what} » : « lieu » ou « types » attendu.")

    def work() -> ObservatoryItem | None:
        with session_scope(desk_.engine) as session:
            if store_desk.item_view(session, item_id) is None:
                raise HTTPException(404, f"Article n° {item_id} introuvable : il a peut-être été supprimé.")
            observatory.correct(session, item_id, correction, who=user.name, now=desk_.now())
            return observatory.observatory_item(session, item_id, desk_.zone)

    try:
        correction = plan()
        held = await run_in_threadpool(work)
    except observatory.ObservatoryError as refused:
        security.flash(request, f"Correction refusée : {refused}.", "erreur")
        return back(f"/article/{item_id}#observatoire")
    if held is None:
        said = "Correction enregistrée ; cet article n'est pas dans l'observatoire (thème « pertes de chances »)."
    elif what == "lieu":
        said = f"Lieu corrigé : {place_words(held.place)}."
    else:
        said = f"Types de perte corrigés : {kind_words(held.kind)}."
    security.flash(request, said)
    return back(f"/article/{item_id}#observatoire")


routes = [
    Route(PAGE, page, methods=["GET"]),
    Route(PAGE + "/{year:int}/carte.svg", area_map, methods=["GET"]),
    Route(PAGE + "/{year:int}/mois.svg", month_chart, methods=["GET"]),
    Route(PAGE + "/{year:int}.{fmt:str}", download, methods=["GET"]),
    Route("/article/{item_id:int}/observatoire", correct, methods=["POST"]),
]
