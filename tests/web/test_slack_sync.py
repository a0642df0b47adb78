"""One desk, two doors in step: an action on the web desk edits the Slack alert, a click in Slack shows on the desk.

The real desk server on 127.0.0.1 over SQLite, the outbox dispatcher against the fake Slack Web API, and the
production Socket Mode listener against the fake Socket Mode Slack, all driven by the real slack-sdk clients.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from alerts.interactions import STATE_BLOCK_ID
from alerts.slack import SlackSender
from alerts.socket_listener import DeskListener
from store import outbox
from store.db import session_scope
from store.models import Delivery, Item, PressMention
from tests import fakeslack, fakeslack_socket
from tests.deliveryfixtures import TOKEN
from tests.test_desk_slack import block_actions, envelope
from tests.web import deskdata
from tests.web.conftest import Served
from tests.web.test_security import signed_in
from watcher.delivery_job import configured_channels, deliver


@pytest.fixture
def slack(desk: Served) -> Iterator[fakeslack.FakeSlack]:
    with fakeslack.FakeSlack(configured_channels(desk.config)) as fake:
        yield fake


def _alerts_of(desk: Served, item_id: int) -> list[Delivery]:
    with session_scope(desk.engine) as session:
        return [row for row in outbox.deliveries(session) if row.kind == "alert" and row.item_id == item_id]


def _lead_of_laval_story(desk: Served) -> int:
    """The item the Laval story's alert shows (its buttons carry this id)."""
    with session_scope(desk.engine) as session:
        story_id = session.get(Item, desk.data.ids[deskdata.LAVAL["link"]]).story_id
        return outbox.parent_alert(session, story_id or 0, "#veille-hopital").item_id


def _state(blocks: list[dict]) -> list[str]:
    assert blocks[-1]["block_id"] == STATE_BLOCK_ID
    return [element["text"] for element in blocks[-1]["elements"]]


def test_an_action_on_the_desk_edits_the_alert_in_slack(desk: Served, slack: fakeslack.FakeSlack) -> None:
    sender = SlackSender(TOKEN, slack.base_url)
    first = deliver(desk.engine, desk.config, sender, owner="test", now=deskdata.NOW)
    assert first.sent >= 4 and slack.calls("chat.update") == []
    lead, mentioned = _lead_of_laval_story(desk), desk.data.ids[deskdata.MENTION["link"]]
    [laval_alert] = _alerts_of(desk, lead)
    mention_alerts = _alerts_of(desk, mentioned)
    assert sorted(row.channel for row in mention_alerts) == ["#on-parle-de-nous", "#veille-hopital"]
    with session_scope(desk.engine) as session:
        mention_id = session.exec(select(PressMention.id).where(PressMention.item_id == mentioned)).one()

    client, token = signed_in(desk, "coordination")
    for path, form in (
        (f"/article/{lead}/avis", {"theme": "hopital", "avis": "pertinent"}),
        (f"/article/{lead}/tribune", {"note": "à creuser"}),
        (f"/on-parle-de-nous/{mention_id}/valider", {}),
    ):
        assert client.post(path, data={"csrf": token, **form}).status_code == 303, path

    report = deliver(desk.engine, desk.config, sender, owner="test", now=deskdata.NOW + timedelta(minutes=1))
    assert (report.updated, report.sent, report.failed) == (3, 0, 0)  # the two Laval actions make one edit
    edits = {(call["channel"], call["ts"]): call for call in slack.calls("chat.update")}
    laval_edit = edits[(laval_alert.channel_id, laval_alert.external_id)]
    assert _state(laval_edit["blocks"]) == [
        "✅ Pertinent — par coordination, 24/11 10:00",
        "🖋️ Tribune à étudier — signalée par coordination, 24/11 10:00 : « à creuser »",
    ]
    assert any(block["type"] == "actions" for block in laval_edit["blocks"])  # the buttons stay
    for row in mention_alerts:
        stored = next(m for m in slack.messages[row.channel_id or ""] if m["ts"] == row.external_id)
        assert _state(stored["blocks"]) == ["📰 On parle de nous (validée) — par coordination, 24/11 10:00"]

    # A tribune moved on from the Tribunes page is the next edit; nothing is sent twice.
    assert client.post(f"/tribunes/{lead}", data={"csrf": token, "statut": "en rédaction"}).status_code == 303
    assert "modifiée par coordination le 24/11/2026" in html.unescape(client.get("/tribunes").text)
    assert (
        client.post(
            f"/article/{desk.data.hostile_link_id}/avis", data={"csrf": token, "theme": "hopital", "avis": "hors_sujet"}
        ).status_code
        == 303
    )
    then = deliver(desk.engine, desk.config, sender, owner="test", now=deskdata.NOW + timedelta(minutes=2))
    assert then.updated == 1  # the item without an alert queued nothing
    assert len(slack.calls("chat.update")) == 4
    assert _state(slack.calls("chat.update")[-1]["blocks"])[-1] == (
        "🖋️ Tribune en rédaction — signalée par coordination, 24/11 10:00 · modifiée par coordination, 24/11 10:00"
        " : « à creuser »"
    )


def test_a_click_in_slack_shows_on_the_desk(desk: Served) -> None:
    item_id = _lead_of_laval_story(desk)
    with fakeslack_socket.FakeSlack() as slack:
        listener = DeskListener(
            desk.engine,
            app_token="xapp-1-test",
            bot_token="xoxb-test",
            base_url=slack.api_url,
            zone=desk.config.digest.zone,
            clock=lambda: deskdata.NOW,
        )
        listener.start()
        try:
            slack.wait_for_socket()
            slack.push(envelope("env-pertinent", block_actions("pertinent", item_id)))
            slack.push(envelope("env-tribune", block_actions("tribune", item_id, user="paul", action_ts="2.0")))
            slack.wait(lambda: listener.handled == 2)
        finally:
            listener.close()
    assert len(slack.calls_to("chat.update")) == 2  # the clicked message answered at once

    client, _ = signed_in(desk, "lecture")
    page = html.unescape(client.get(f"/article/{item_id}").text)
    assert "✅ Pertinent — par @marie, 24/11 10:00" in page
    assert "🖋️ Tribune à étudier — signalée par @paul, 24/11 10:00" in page
    tribunes = html.unescape(client.get("/tribunes").text)
    assert "Signalée par @paul le 24/11/2026" in tribunes
