"""What every page of the desk shares: the Desk (database, configuration, time), the templates, render and back.

The pages and the application both use it; the application imports the pages, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from store.search import HIGHLIGHT_END, HIGHLIGHT_START
from watcher.config import Config
from watcher.web import security

HERE = Path(__file__).parent


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
