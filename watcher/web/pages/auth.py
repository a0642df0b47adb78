"""Sign in and out."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from store.db import session_scope
from watcher.web import accounts, security
from watcher.web.page import Desk, back, render


def _next_page(text: object) -> str:
    """Back to the page asked for, on this site only (no open redirect)."""
    path = text if isinstance(text, str) else "/"
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def login_page(request: Request) -> Response:
    if security.current_user(request) is not None:
        return back("/")
    return render(request, "login.html", suite=_next_page(request.query_params.get("suite")))


async def login(request: Request) -> Response:
    form = await request.form()
    security.check_csrf(request, form)
    desk: Desk = request.app.state.desk
    name, password = str(form.get("nom") or ""), str(form.get("mot_de_passe") or "")
    suite = _next_page(form.get("suite"))
    if not name.strip() or not password:
        return render(request, "login.html", status=400, suite=suite, error="Indiquez votre nom et votre mot de passe.")
    address = request.client.host if request.client else "inconnue"

    def check() -> accounts.SignIn:
        with session_scope(desk.engine) as session:
            return accounts.sign_in(session, name, password, address, desk.now())

    result = await run_in_threadpool(check)
    if result.user is None:
        status = 429 if result.error and result.error.startswith("Trop") else 401
        return render(request, "login.html", status=status, suite=suite, error=result.error, nom=name)
    security.sign_in(request, result.user)
    return back(suite)


async def logout(request: Request) -> Response:
    form = await request.form()
    security.check_csrf(request, form)
    request.session.clear()
    security.flash(request, "Vous êtes déconnecté(e).")
    return back("/connexion")


routes = [
    Route("/connexion", login_page, methods=["GET"]),
    Route("/connexion", login, methods=["POST"]),
    Route("/deconnexion", logout, methods=["POST"]),
]
