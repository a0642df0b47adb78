"""The desk's application: routes, sessions, templates, French error pages.

`create_app` takes the engine, the configuration and a clock: tests hand it a fixed time.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from watcher.config import Config
from watcher.web import accounts, security
from watcher.web.page import HERE, Desk, back, render, templates

log = logging.getLogger(__name__)

SECRET_ENV_VAR = "WATCHER_WEB_SECRET"
SECURE_ENV_VAR = "WATCHER_WEB_SECURE"  # "1" behind HTTPS: cookies marked Secure, HSTS sent
SESSION_HOURS = 12
_STATUS_MESSAGES = {
    400: "Demande invalide.",
    403: "Accès refusé.",
    404: "Page introuvable.",
    405: "Cette adresse ne s'utilise pas ainsi.",
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.detail and exc.detail not in ("Not Found", "Method Not Allowed") else None
    message = message or _STATUS_MESSAGES.get(exc.status_code, "Demande impossible.")
    return render(request, "error.html", status=exc.status_code, message=message, code=exc.status_code)


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if request.method == "GET":
        return back(f"/connexion?suite={request.url.path}")
    return render(request, "error.html", status=403, code=403, message="Connectez-vous d'abord.")


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("erreur interne du bureau sur %s", request.url.path)
    desk: Desk = request.app.state.desk
    page = desk.templates.get_template("crash.html").render()
    return HTMLResponse(page, status_code=500)


def _secret() -> str:
    secret = os.environ.get(SECRET_ENV_VAR)
    if secret:
        return secret
    log.warning(
        "%s absent : clé de session tirée au hasard, les sessions ne survivront pas au redémarrage", SECRET_ENV_VAR
    )
    return secrets.token_urlsafe(48)


def create_app(
    engine: Engine,
    config: Config,
    *,
    clock: Callable[[], datetime],
    secret: str | None = None,
    secure: bool | None = None,
) -> Starlette:
    from watcher.web.pages import article, auth, observatory, register, simulation, sources, today, tribunes

    accounts.prepare()
    if secure is None:
        secure = os.environ.get(SECURE_ENV_VAR, "") in ("1", "oui", "true")
    routes: list[BaseRoute] = [
        *auth.routes,
        *today.routes,
        *article.routes,
        *tribunes.routes,
        *register.routes,
        *sources.routes,
        *simulation.routes,
        *observatory.routes,
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(security.SecurityHeaders, secure=secure),
        Middleware(
            SessionMiddleware,
            secret_key=secret or _secret(),
            session_cookie="veille_bureau",
            max_age=SESSION_HOURS * 3600,
            same_site="lax",
            https_only=secure,
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            HTTPException: _http_error,
            security.NotSignedIn: _not_signed_in,
            Exception: _crash,
        },
    )
    app.state.desk = Desk(engine, config, clock, templates(config.digest.zone))
    return app
