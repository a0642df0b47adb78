"""Slack: safe mrkdwn, Block Kit messages within Slack's limits, and the Web API client.

Feed text is hostile by default: a title may carry `<!channel>` or `*bold*`.
`mrkdwn()` neutralises both, and every piece of feed text goes through it.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

TOKEN_ENV_VAR = "SLACK_BOT_TOKEN"
API_URL_ENV_VAR = "SLACK_API_URL"
METADATA_EVENT = "veille_delivery"

MAX_TEXT = 3000  # characters per text object
MAX_BLOCKS = 50
MAX_MESSAGE_CHARS = 12000  # Slack rejects messages a little above 13k characters of blocks
SPLIT_ACTION_ID = "pas_le_meme_sujet"
ACTION_IDS = ("tribune", "pertinent", "hors_sujet", "on_parle_de_nous", SPLIT_ACTION_ID)
ACTION_LABELS = {
    "tribune": "Tribune",
    "pertinent": "Pertinent",
    "hors_sujet": "Hors sujet",
    "on_parle_de_nous": "On parle de nous",
    SPLIT_ACTION_ID: "Pas le même sujet",
}
_TOPIC_BADGES = {"hopital": "🏥", "greve": "✊", "ame": "🩺", "mention": "📣"}

# Slack has no escape for mrkdwn markup; look-alike characters keep the text readable and inert.
_MARKUP_LOOKALIKES = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})
# Permanent refusals: retrying cannot help, a person must fix the configuration.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "message_not_found",  # an alert deleted in Slack: nothing left to update
        "cant_update_message",
        "edit_window_closed",
    }
)


class SlackConfigError(Exception):
    """Slack is not configured; phrased in French for the user."""


def mrkdwn(text: str) -> str:
    """Feed text made inert for a mrkdwn field: no mention, no link, no formatting."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.translate(_MARKUP_LOOKALIKES)


def link(url: str, label: str) -> str:
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")
    return f"<{safe_url}|{mrkdwn(label)}>"


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str, limit: int = MAX_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def section(markdown: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(markdown)}}


def context(*markdown: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(part)} for part in markdown[:10]]}


def summary_lines(text: str, limit: int = 280) -> str:
    """One or two lines: the start of the summary, cut on a word."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class AlertContent:
    item_id: int
    title: str
    url: str
    summary: str
    outlets: list[str]
    published: datetime
    topic_labels: list[tuple[str, str]]  # (key, label)
    why: list[str]
    score: int


def alert_message(alert: AlertContent, zone: ZoneInfo) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) of an alert; every piece of feed text goes through mrkdwn() or plain_text."""
    badges = " ".join(f"{_TOPIC_BADGES.get(key, '🔎')} *{mrkdwn(label)}*" for key, label in alert.topic_labels)
    when = alert.published.astimezone(zone).strftime("%d/%m/%Y à %H:%M")
    outlets = ", ".join(alert.outlets)
    blocks: list[dict[str, Any]] = [
        context(f"{badges or '🔎 *Veille*'} · score {alert.score}"),
        section(f"*{link(alert.url, clip(alert.title, 2000))}*"),
        context(f"{mrkdwn(clip(outlets, 1500))} · {when} (heure de Paris)"),
    ]
    # Feed text goes through mrkdwn() even where plain_text would do: the payload then holds no raw `<!…>` at all.
    if alert.summary:
        blocks.append(section(mrkdwn(summary_lines(alert.summary))))
    if alert.why:
        blocks.append(context("Pourquoi : " + mrkdwn(clip(" · ".join(alert.why), 2000))))
    blocks.append(
        {
            "type": "actions",
            "block_id": f"veille-actions-{alert.item_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": action,
                    "text": plain(ACTION_LABELS[action]),
                    "value": str(alert.item_id),
                }
                for action in ACTION_IDS
            ],
        }
    )
    text = clip(f"{mrkdwn(alert.title)} — {mrkdwn(outlets)}", 400)
    return text, blocks


def split_button(item_id: int) -> dict[str, Any]:
    """« Pas le même sujet »: the item leaves the story it was joined to (alerts/interactions.py)."""
    return {
        "type": "button",
        "action_id": SPLIT_ACTION_ID,
        "text": plain(ACTION_LABELS[SPLIT_ACTION_ID]),
        "value": str(item_id),
    }


def follow_up_message(item_id: int, title: str, url: str, outlets: Sequence[str]) -> tuple[str, list[dict[str, Any]]]:
    """A thread reply: the new outlets, the article that brought them, and the button to contest the join."""
    text = f"Aussi dans : {mrkdwn(', '.join(outlets))}"
    blocks = [
        section(text),
        context(link(url, clip(title, 2000))),
        {"type": "actions", "block_id": f"veille-suite-{item_id}", "elements": [split_button(item_id)]},
    ]
    return text, blocks


def merged_message(
    lead: tuple[str, str] | None, lead_channel: str | None, linking: tuple[str, str], channel: str
) -> tuple[str, list[dict[str, Any]]]:
    """A thread reply under the alert of a story merged into another: where its news goes on, and which article
    (title, url) showed the two were one event; `lead` is the other's alert (title, url), if it has one."""
    if lead is None:
        text = "Même événement qu'un autre sujet, où se poursuit désormais celui-ci."
    else:
        where = "" if lead_channel in (None, channel) else f" dans {mrkdwn(lead_channel or '')}"
        text = f"Même événement qu'une autre alerte{where} : la suite de ce sujet part désormais dans son fil."
    blocks = [section(text)]
    if lead is not None:
        blocks.append(context(f"L'alerte : {link(lead[1], clip(lead[0], 1000))}"))
    blocks.append(context(f"Relié par : {link(linking[1], clip(linking[0], 1000))}"))
    return text, blocks


def block_chars(block: dict[str, Any]) -> int:
    return len(str(block))


def split_blocks(blocks: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Cut a long list of blocks into messages that each respect the block and size limits."""
    messages: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for block in blocks:
        cost = block_chars(block)
        if current and (len(current) >= MAX_BLOCKS or size + cost > MAX_MESSAGE_CHARS):
            messages.append(current)
            current, size = [], 0
        current.append(block)
        size += cost
    if current:
        messages.append(current)
    return messages


def metadata(key: str) -> dict[str, Any]:
    """The idempotency marker stored with each message, looked up after a crash."""
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key}}


class SlackSender:
    """The veille's use of the Slack Web API.

    Posting retries only on 429 (Slack then guarantees nothing was posted);
    a connection error or a 5xx while posting may hide a message that did get
    through, so those go back to the dispatcher, which looks for the message's
    marker in the channel history before trying again. Reads retry on both, and so
    do edits: an edit replaces the message whole, so one sent twice changes nothing.
    """

    def __init__(self, token: str, base_url: str | None = None, *, max_retries: int = 3):
        base = base_url or WebClient.BASE_URL
        if not base.endswith("/"):
            base += "/"
        self.poster = WebClient(
            token=token,
            base_url=base,
            timeout=30,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=max_retries)],
        )
        self.reader = WebClient(
            token=token,
            base_url=base,
            timeout=30,
            retry_handlers=[
                RateLimitErrorRetryHandler(max_retry_count=max_retries),
                ConnectionErrorRetryHandler(max_retry_count=max_retries),
            ],
        )
        self._ids: dict[str, str] = {}

    @classmethod
    def from_environment(cls) -> SlackSender:
        token = os.environ.get(TOKEN_ENV_VAR)
        if not token:
            raise SlackConfigError(
                f"la variable d'environnement {TOKEN_ENV_VAR} n'est pas définie (jeton du bot Slack, xoxb-…)"
            )
        return cls(token, os.environ.get(API_URL_ENV_VAR) or None)

    def channel_id(self, channel: str) -> str:
        """Slack's id of a configured channel (`#veille` or an id such as C0123)."""
        name = channel.lstrip("#")
        if name[:1] in ("C", "G", "D") and name.isupper() and name.isalnum():
            return name
        if name not in self._ids:
            cursor = None
            while True:
                page = self.reader.conversations_list(
                    types="public_channel,private_channel", exclude_archived=True, limit=200, cursor=cursor
                )
                for found in page.get("channels", []):
                    self._ids[found["name"]] = found["id"]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if name in self._ids or not cursor:
                    break
        if name not in self._ids:
            raise SlackApiError(f"canal {channel} introuvable", {"ok": False, "error": "channel_not_found"})
        return self._ids[name]

    def post(
        self,
        channel_id: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        key: str,
        thread_ts: str | None = None,
    ) -> str:
        response = self.poster.chat_postMessage(
            channel=channel_id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            metadata=metadata(key),
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    def update(self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        """Replace the text and blocks of the message `ts` (an alert showing the desk's new state)."""
        self.reader.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)

    def find(self, channel_id: str, key: str, oldest: datetime, thread_ts: str | None = None) -> str | None:
        """The ts of a message carrying our marker, posted since `oldest` (top level or in a thread)."""
        cursor = None
        while True:
            arguments: dict[str, Any] = {
                "channel": channel_id,
                "oldest": f"{oldest.timestamp() - 60:.6f}",
                "include_all_metadata": True,
                "limit": 200,
                "cursor": cursor,
            }
            if thread_ts:
                page = self.reader.conversations_replies(ts=thread_ts, **arguments)
            else:
                page = self.reader.conversations_history(**arguments)
            for message in page.get("messages", []):
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == key:
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None


_NETWORK_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connexion refusée"),
    (socket.gaierror, "nom de serveur inconnu"),
    (TimeoutError, "délai dépassé"),
    (ssl.SSLError, "échec de la connexion chiffrée"),
    (ConnectionError, "connexion interrompue"),
    (OSError, "erreur réseau"),
)


def slack_error(exc: Exception) -> tuple[str, bool]:
    """(French description, permanent?) of a failed Slack call."""
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error", "")) if exc.response is not None else ""
        status = getattr(exc.response, "status_code", None)
        detail = code or f"HTTP {status}"
        return f"Slack a refusé l'envoi ({detail})", code in PERMANENT_ERRORS
    reason = getattr(exc, "reason", exc)  # urllib wraps the socket error
    for kind, words in _NETWORK_REASONS:
        if isinstance(reason, kind):
            return f"Slack injoignable ({words})", False
    return f"Slack injoignable ({exc.__class__.__name__})", False
