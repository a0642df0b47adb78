"""The Slack Socket Mode connection of `watcher run`: no public URL, an `xapp-` token.

Each envelope is acknowledged first (Slack retries an envelope it did not see acknowledged
within 3 seconds), then handled by alerts.interactions in one transaction, then the message
is updated (chat.update) or the tribune modal opened (views.open).
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from sqlalchemy import Engine

from alerts import interactions
from store.db import session_scope
from store.models import Clock, utcnow

log = logging.getLogger(__name__)


def web_client(bot_token: str, base_url: str | None = None) -> WebClient:
    client = WebClient(token=bot_token, base_url=base_url or WebClient.BASE_URL)
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=2), ConnectionErrorRetryHandler()])
    return client


class DeskListener:
    def __init__(
        self,
        engine: Engine,
        *,
        app_token: str,
        bot_token: str,
        base_url: str | None = None,
        zone: ZoneInfo = interactions.PARIS,
        clock: Clock = utcnow,
    ):
        self.engine = engine
        self.zone = zone
        self.clock = clock  # when a click happens: the moment its envelope is handled
        self.client = SocketModeClient(app_token=app_token, web_client=web_client(bot_token, base_url))
        self.client.socket_mode_request_listeners.append(self.on_request)
        self.handled = 0  # envelopes fully processed, for logs and tests
        self._count_lock = threading.Lock()

    def start(self) -> None:
        self.client.connect()
        log.info("Slack : boutons des alertes à l'écoute (Socket Mode)")

    def close(self) -> None:
        self.client.close()

    def on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        if request.type != "interactive":
            with self._count_lock:
                self.handled += 1
            return
        outcome = self.handle(request.payload)
        if outcome is not None:
            apply(client.web_client, outcome)
        with self._count_lock:
            self.handled += 1

    def handle(self, payload: dict[str, Any]) -> interactions.Outcome | None:
        try:
            with session_scope(self.engine) as session:
                outcome = interactions.handle(session, payload, now=self.clock(), zone=self.zone)
        except Exception:  # one bad click must not stop the listener
            log.exception("Slack : clic non traité (%s)", payload.get("type"))
            return None
        for problem in outcome.problems:
            log.warning("Slack : %s", problem)
        return outcome


def apply(client: WebClient, outcome: interactions.Outcome) -> None:
    """Open the modal first: its trigger_id expires 3 seconds after the click."""
    try:
        if outcome.modal is not None:
            client.views_open(**outcome.modal)
        if outcome.update is not None:
            client.chat_update(**outcome.update)
    except SlackApiError as exc:
        log.warning("Slack : mise à jour impossible (%s)", exc.response.get("error"))
