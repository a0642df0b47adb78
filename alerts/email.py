"""E-mail through SMTP: `WATCHER_SMTP_URL` = smtp://[user:pass@]host[:port][?starttls=true] or smtps://…"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

SMTP_URL_ENV_VAR = "WATCHER_SMTP_URL"
_TRUE = {"1", "true", "yes", "oui"}


class SmtpConfigError(Exception):
    """A bad or missing SMTP configuration, phrased in French."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None

    def __repr__(self) -> str:  # the password must never reach a log
        return f"SmtpSettings(host={self.host!r}, port={self.port}, tls={self.implicit_tls or self.starttls})"


def parse_smtp_url(url: str) -> SmtpSettings:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise SmtpConfigError(
            f"{SMTP_URL_ENV_VAR} : schéma « {parts.scheme or '(vide)'} » non reconnu "
            "(attendu smtp:// ou smtps://, par exemple smtps://utilisateur:motdepasse@smtp.exemple.fr:465)"
        )
    if not parts.hostname:
        raise SmtpConfigError(f"{SMTP_URL_ENV_VAR} : nom du serveur manquant")
    try:
        port = parts.port
    except ValueError:
        raise SmtpConfigError(f"{SMTP_URL_ENV_VAR} : port invalide") from None
    options = {key.lower(): values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(options) - {"starttls"}
    if unknown:
        raise SmtpConfigError(
            f"{SMTP_URL_ENV_VAR} : option inconnue « {sorted(unknown)[0]} » (option possible : starttls)"
        )
    implicit = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=options.get("starttls", "false").lower() in _TRUE,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def smtp_from_environment() -> SmtpSettings:
    url = os.environ.get(SMTP_URL_ENV_VAR)
    if not url:
        raise SmtpConfigError(f"la variable d'environnement {SMTP_URL_ENV_VAR} n'est pas définie")
    return parse_smtp_url(url)


def build_message(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    html: str,
    message_id: str,
    when: datetime,
) -> EmailMessage:
    """multipart/alternative: the plain text first, the HTML last (clients show the last one they can)."""
    message = EmailMessage()
    message["Subject"] = subject  # EmailMessage encodes non-ASCII subjects as RFC 2047 UTF-8
    message["From"] = Address(display_name="Veille Action Patients", addr_spec=sender)
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def send(settings: SmtpSettings, message: EmailMessage, timeout: float = 60) -> None:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.implicit_tls:
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with client:
        if settings.starttls and not settings.implicit_tls:
            client.starttls(context=context)
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(message)
