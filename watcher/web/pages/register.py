"""« On parle de nous »: entries to validate first, manual entry, import, the year by month, and the CLI's exports."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path, PureWindowsPath
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from store import desk as store_desk
from store.db import session_scope
from store.models import MentionStatus, PressMention, Role
from watcher import desk, exports, register_import
from watcher.web import security
from watcher.web.page import Desk, back, render

PAGE = "/on-parle-de-nous"
DOWNLOADS = {
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A register file holds a few hundred lines; past this, it is not one (the collective's 2022–2023 history is 3 kB).
MAX_IMPORT_BYTES = 2 * 1024 * 1024
PENDING_SHOWN = 50  # the oldest entries to validate; validating them brings the next ones up
# The refused lines shown on the page; the rest are counted.
SHOWN_IMPORT_ERRORS = 100


def _capitalised(label: str) -> str:
    return label[0].upper() + label[1:]


def _year(request: Request, text: str | None) -> int:
    desk_: Desk = request.app.state.desk
    if not text:
        return desk_.now().astimezone(desk_.zone).year
    if not text.isdigit() or not 1990 <= int(text) <= 2200:
        raise HTTPException(400, f"Année invalide « {text} » (quatre chiffres attendus, par exemple 2026).")
    return int(text)


def _month(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 12:
        raise HTTPException(400, f"Mois invalide « {text} » (de 1 à 12).")
    return int(text)


def register(request: Request) -> Response:
    security.require(request)
    params = request.query_params
    return _page(request, _year(request, params.get("annee")), month=_month(params.get("mois")))


def _page(request: Request, year: int, status: int = 200, month: int | None = None, **extra: Any) -> Response:
    """The year shows one month's entries (the one asked for, else the latest with entries) and the count of each
    month, as links: a busy year stays one month long."""
    desk_: Desk = request.app.state.desk
    with session_scope(desk_.engine) as session:
        pending = store_desk.mentions(session, status=MentionStatus.A_VALIDER, limit=PENDING_SHOWN)
        pending_count = store_desk.count_mentions(session, MentionStatus.A_VALIDER)
        per_month = store_desk.decided_per_month(session, year)
        shown = month or max(per_month, default=None)
        rows = []
        if shown is not None:
            first = date(year, shown, 1)
            rows = store_desk.decided_mentions(session, first, date(year + shown // 12, shown % 12 + 1, 1))
    months = [(number, _capitalised(exports.MONTHS[number - 1]), per_month.get(number, 0)) for number in range(1, 13)]
    return render(
        request,
        "register.html",
        status=status,
        year=year,
        pending=pending,
        pending_count=pending_count,
        months=months,
        shown_month=shown,
        rows=rows,
        count=sum(per_month.values()),
        mention_labels=desk.MENTION_LABELS,
        medium_labels=desk.MEDIUM_LABELS,
        origin_labels=desk.ORIGIN_LABELS,
        today=desk_.now().astimezone(desk_.zone).date(),
        max_import_mb=MAX_IMPORT_BYTES // (1024 * 1024),
        **extra,
    )


async def _form(request: Request) -> tuple[Desk, str, dict[str, str]]:
    user, form = await security.acting_form(request)
    return request.app.state.desk, user.name, {key: value.strip() for key, value in security.text_fields(form).items()}


async def decide(request: Request) -> Response:
    desk_, who, _ = await _form(request)
    mention_id = request.path_params["mention_id"]
    if request.path_params["action"] not in ("valider", "rejeter"):
        raise HTTPException(404, "Action inconnue : « valider » ou « rejeter ».")
    status = MentionStatus.VALIDEE if request.path_params["action"] == "valider" else MentionStatus.REJETEE

    def work() -> tuple[bool, str]:
        with session_scope(desk_.engine) as session:
            mention = store_desk.get_mention(session, mention_id)
            if mention is None:
                raise HTTPException(404, f"Parution n° {mention_id} introuvable.")
            return store_desk.set_mention_status(session, mention, status, who, now=desk_.now()), mention.title

    changed, title = await run_in_threadpool(work)
    label = desk.MENTION_LABELS[status]
    security.flash(request, f"Parution n° {mention_id} {label} : {title}" if changed else f"Parution déjà {label}.")
    return back(PAGE)


async def add(request: Request) -> Response:
    desk_, who, form = await _form(request)

    def work() -> PressMention:
        try:
            day = date.fromisoformat(form.get("date", ""))
        except ValueError:
            raise desk.DeskError(f"date invalide « {form.get('date', '')} » (format attendu : AAAA-MM-JJ)") from None
        with session_scope(desk_.engine) as session:
            return desk.add_by_hand(
                session,
                day=day,
                outlet=form.get("media", ""),
                title=form.get("titre", ""),
                url=form.get("adresse"),
                medium_text=form.get("type") or "presse",
                quote=form.get("citation"),
                spokesperson=form.get("porte_parole"),
                who=who,
                now=desk_.now(),
            )

    try:
        mention = await run_in_threadpool(work)
    except desk.DeskError as exc:
        security.flash(request, f"Parution non ajoutée : {exc}.", "erreur")
        return back(PAGE)
    security.flash(request, f"Parution n° {mention.id} ajoutée au registre : {mention.outlet}, {mention.day:%d/%m/%Y}.")
    return back(f"{PAGE}?annee={mention.day.year}")


def _sentence(text: str) -> str:
    """« ligne 3, colonne « date » : … » as a list entry: « Ligne 3, colonne « date » : …. »"""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


async def import_file(request: Request) -> Response:
    """`watcher mentions import FILE` from the page: the same function, its report shown in full on the page."""
    security.require(request)
    try:
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException as exc:  # Starlette's multipart parser explains itself in English
        raise HTTPException(400, "Formulaire d'import illisible : choisissez un seul fichier et recommencez.") from exc
    security.check_csrf(request, form)
    user = security.require(request, Role.COORDINATION)
    desk_: Desk = request.app.state.desk
    year_text = form.get("annee")
    year = _year(request, year_text if isinstance(year_text, str) else None)
    upload = form.get("fichier")
    if isinstance(upload, str) or upload is None or not upload.filename:
        return _page(
            request, year, 400, import_error="Aucun fichier choisi : choisissez un fichier .csv, .yaml ou .yml."
        )
    # A browser may send the whole path of the file (old Edge): only its name is the file's.
    name = PureWindowsPath(upload.filename).name
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        return _page(
            request,
            year,
            400,
            import_error=f"{name} : fichier trop gros (plus de {MAX_IMPORT_BYTES // (1024 * 1024)} Mo) ; "
            "un registre tient en quelques centaines de lignes, découpez-le ou vérifiez que c'est le bon fichier.",
        )

    def work() -> register_import.ImportReport:
        with session_scope(desk_.engine) as session:
            return register_import.import_register(session, data, name, who=user.name, now=desk_.now())

    try:
        report = await run_in_threadpool(work)
    except register_import.RegisterImportError as exc:
        return _page(request, year, 400, import_error=f"Fichier refusé, rien n'a été importé : {exc}.")
    return _page(
        request,
        year,
        import_summary=report.summary(),
        import_errors=[_sentence(str(error)) for error in report.errors[:SHOWN_IMPORT_ERRORS]],
        import_more=max(0, len(report.errors) - SHOWN_IMPORT_ERRORS),
    )


def download(request: Request) -> Response:
    """The file `watcher mentions export --year Y --format F` writes, byte for byte."""
    security.require(request)
    desk_: Desk = request.app.state.desk
    year, fmt = _year(request, request.path_params["year"]), request.path_params["fmt"]
    if fmt not in DOWNLOADS:
        raise HTTPException(404, f"Format inconnu « {fmt} » (csv, xlsx ou md).")
    pending = request.query_params.get("attente") == "1"
    with session_scope(desk_.engine) as session:
        rows = [m for m in store_desk.mentions(session, year=year) if m.status in store_desk.register_statuses(pending)]
    with tempfile.TemporaryDirectory() as folder:
        path, content = exports.write_register(rows, year, fmt, Path(folder) / f"registre.{fmt}")
        assert path is not None and content is None
        body = path.read_bytes()
    name = f"on-parle-de-nous-{year}.{fmt}"
    return Response(body, media_type=DOWNLOADS[fmt], headers={"content-disposition": f'attachment; filename="{name}"'})


routes = [
    Route(PAGE, register, methods=["GET"]),
    Route(PAGE + "/ajouter", add, methods=["POST"]),
    Route(PAGE + "/importer", import_file, methods=["POST"]),
    Route(PAGE + "/{mention_id:int}/{action:str}", decide, methods=["POST"]),
    Route(PAGE + "/{year:str}.{fmt:str}", download, methods=["GET"]),
]
