"""The desk's application: routes, sessions, templates, French error pages.

`create_app` takes the engine, the configuration and a clock: tests hand it a fixed time.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from store.search import HIGHLIGHT_END, HIGHLIGHT_START
from watcher.config import Config
from watcher.web import security

log = logging.getLogger(__name__)

SECRET_ENV_VAR = "WATCHER_WEB_SECRET"
SECURE_ENV_VAR = "WATCHER_WEB_SECURE"  # "1" behind HTTPS: cookies marked Secure, HSTS sent
SESSION_HOURS = 12
HERE = Path(__file__).parent

_STATUS_MESSAGES = {
    400: "Demande invalide.",
    403: "Accès refusé.",
    404: "Page introuvable.",
    405: "Cette adresse ne s'utilise pas ainsi.",
}


@dataclass
class Desk:
    """What every page needs: the database, the configuration, the time."""

    engine: Engine
    config: Config
    clock: Callable[[], datetime]
    templates: Environment

    @property
    def zone(self) -> Any:
        return self.config.digest.zone

    def now(self) -> datetime:
        return self.clock()


def safe_url(url: str | None) -> str | None:
    """Only web addresses become links: a `javascript:` or `data:` address from a feed stays text."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url
    return None


def highlighted(snippet: str) -> Markup:
    """A search snippet, escaped, its matched words in <mark>."""
    text = str(escape(snippet))
    return Markup(text.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_END, "</mark>"))


def templates(zone: Any) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["highlighted"] = highlighted
    env.filters["when"] = lambda moment: moment.astimezone(zone).strftime("%d/%m/%Y %H:%M") if moment else "—"
    env.filters["day"] = lambda day: day.strftime("%d/%m/%Y") if day else "—"
    return env


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    desk: Desk = request.app.state.desk
    user = security.current_user(request)
    page = desk.templates.get_template(name).render(
        request=request,
        user=user,
        csrf=security.csrf_token(request),
        flash=security.take_flash(request),
        **context,
    )
    return HTMLResponse(page, status_code=status)


def back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


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
    from watcher.web.pages import article, auth, register, sources, today, tribunes

    if secure is None:
        secure = os.environ.get(SECURE_ENV_VAR, "") in ("1", "oui", "true")
    routes: list[BaseRoute] = [
        *auth.routes,
        *today.routes,
        *article.routes,
        *tribunes.routes,
        *register.routes,
        *sources.routes,
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
