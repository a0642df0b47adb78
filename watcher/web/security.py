"""Who is signed in, what their role allows, the CSRF token of every form, and the headers of every response."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store import users
from store.db import session_scope
from store.models import DeskUser, Role
from watcher.web.accounts import allows

CSRF_FIELD = "csrf"
# No script at all is served; forms post to the desk only; no page may frame the desk.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class NotSignedIn(Exception):
    """The page needs a signed-in person: the handler sends them to the sign-in page."""


class SecurityHeaders:
    """Adds the security headers to every response, error pages and static files included."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.extra = [(b"strict-transport-security", b"max-age=31536000")] if secure else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += _HEADERS + self.extra
                if not static:  # pages show private work: no cache keeps them
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, form: FormData) -> None:
    expected = request.session.get(CSRF_FIELD)
    given = form.get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise HTTPException(
            403,
            "Formulaire expiré ou venu d'ailleurs (jeton de sécurité absent ou faux) : "
            "rechargez la page et recommencez.",
        )


def current_user(request: Request) -> DeskUser | None:
    """The signed-in person, read from the database on every request: a disabled account is out at once."""
    if hasattr(request.state, "desk_user"):
        return request.state.desk_user
    user = None
    user_id, version = request.session.get("uid"), request.session.get("ver")
    if isinstance(user_id, int):
        with session_scope(request.app.state.desk.engine) as session:
            found = users.get_user_by_id(session, user_id)
        if found is not None and found.active and found.session_version == version:
            user = found
    request.state.desk_user = user
    return user


def require(request: Request, role: Role = Role.LECTURE) -> DeskUser:
    user = current_user(request)
    if user is None:
        raise NotSignedIn()
    if not allows(user.role, role):
        raise HTTPException(
            403, f"Votre compte ({user.role}) ne permet pas cette action : il faut le rôle « {role.value} » au moins."
        )
    return user


async def acting_form(request: Request, role: Role = Role.COORDINATION) -> tuple[DeskUser, FormData]:
    """The checks of every action: signed in, a genuine form (its CSRF token), the role; then the form. Signed in
    first: a visitor is sent to sign in rather than told that the form is stale."""
    require(request)
    form = await request.form()
    check_csrf(request, form)
    return require(request, role), form


def text_fields(form: FormData) -> dict[str, str]:
    """A form's text fields (not its files)."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


def sign_in(request: Request, user: DeskUser) -> None:
    """A new session for a new person: nothing of the anonymous one is kept (no fixation)."""
    request.session.clear()
    request.session.update({"uid": user.id, "ver": user.session_version, CSRF_FIELD: secrets.token_urlsafe(32)})


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session["flash"] = [kind, message]


def take_flash(request: Request) -> dict[str, Any] | None:
    value = request.session.pop("flash", None)
    return {"kind": value[0], "message": value[1]} if value else None
