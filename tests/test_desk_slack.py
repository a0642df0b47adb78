"""Slack buttons through Socket Mode: real payload shapes, stored once, the message shows the new state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from alerts import interactions
from alerts.socket_listener import DeskListener
from store.db import session_scope
from store.models import DeskClick, PressMention, Score, Tribune, Verdict
from tests.clock import NOW, frozen
from tests.deskdata import LAVAL, MENTION, collect
from tests.fakeslack_socket import FakeSlack
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.desk import start_listener

ALERT_BLOCKS = [
    {"type": "section", "block_id": "titre", "text": {"type": "mrkdwn", "text": "*Laval : les urgences fermées*"}},
    {"type": "actions", "block_id": "boutons", "elements": []},
]
USERS = {"marie": "U0MARIE", "paul": "U0PAUL"}


def block_actions(action_id: str, item_id: int, *, user: str = "marie", action_ts: str = "1732353120.000100") -> dict:
    """A `block_actions` payload as Slack sends it for a click on an alert button."""
    return {
        "type": "block_actions",
        "user": {"id": USERS[user], "username": user, "name": user, "team_id": "T0VEILLE"},
        "api_app_id": "A0VEILLE",
        "token": "verification-token",
        "container": {"type": "message", "message_ts": "1732353000.000200", "channel_id": "C0HOPITAL"},
        "trigger_id": f"trigger-{user}-{action_ts}",
        "team": {"id": "T0VEILLE", "domain": "actionpatients"},
        "channel": {"id": "C0HOPITAL", "name": "veille-hopital"},
        "message": {
            "type": "message",
            "ts": "1732353000.000200",
            "text": "Alerte : Laval, les urgences fermées la nuit",
            "blocks": ALERT_BLOCKS,
        },
        "response_url": "https://hooks.slack.com/actions/T0VEILLE/1/abc",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "boutons",
                "text": {"type": "plain_text", "text": action_id},
                "value": str(item_id),
                "type": "button",
                "action_ts": action_ts,
            }
        ],
    }


def view_submission(metadata: str, note: str, user: str = "marie") -> dict:
    return {
        "type": "view_submission",
        "team": {"id": "T0VEILLE", "domain": "actionpatients"},
        "user": {"id": USERS[user], "username": user, "name": user, "team_id": "T0VEILLE"},
        "api_app_id": "A0VEILLE",
        "trigger_id": "trigger-submit",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": interactions.NOTE_CALLBACK_ID,
            "private_metadata": metadata,
            "hash": "1732353200.abcd",
            "state": {
                "values": {
                    interactions.NOTE_BLOCK_ID: {
                        interactions.NOTE_ACTION_ID: {"type": "plain_text_input", "value": note}
                    }
                }
            },
        },
        "response_urls": [],
    }


def envelope(envelope_id: str, payload: dict, retry: int = 0) -> dict:
    return {
        "envelope_id": envelope_id,
        "type": "interactive",
        "accepts_response_payload": payload["type"] == "view_submission",
        "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
        "payload": payload,
    }


@pytest.fixture
def desk(engine: Engine, real_config: Config, server: LocalServer) -> tuple[Engine, dict[str, int]]:
    _, ids = collect(engine, real_config, server)
    return engine, ids


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def listener(desk: tuple[Engine, dict[str, int]], slack: FakeSlack) -> Iterator[DeskListener]:
    engine, _ = desk
    desk_listener = DeskListener(
        engine, app_token="xapp-1-test", bot_token="xoxb-test", base_url=slack.api_url, clock=frozen()
    )
    desk_listener.start()
    slack.wait_for_socket()
    yield desk_listener
    desk_listener.close()


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_a_click_delivered_twice_is_stored_once_and_the_message_shows_it(
    desk: tuple[Engine, dict[str, int]], slack: FakeSlack, listener: DeskListener
) -> None:
    engine, ids = desk
    item_id = ids[LAVAL["link"]]
    click = block_actions("pertinent", item_id)
    slack.push(envelope("env-1", click))
    slack.push(envelope("env-1", click, retry=1))  # Socket Mode's retry: the very same envelope
    slack.wait(lambda: listener.handled == 2 and len(slack.acks) == 2)

    assert slack.acks == ["env-1", "env-1"]
    with session_scope(engine) as session:
        topics = session.get(Score, item_id).topics
        verdicts = session.exec(select(Verdict)).all()
    assert topics  # the Laval item is on the hospital theme
    assert sorted((v.item_id, v.topic, v.verdict, v.who) for v in verdicts) == sorted(
        (item_id, topic, "pertinent", "@marie") for topic in topics
    )
    assert _count(engine, DeskClick) == 1
    updates = slack.calls_to("chat.update")
    assert len(updates) == 1
    update = updates[0]
    assert (update["channel"], update["ts"]) == ("C0HOPITAL", "1732353000.000200")
    blocks = update["blocks"] if isinstance(update["blocks"], list) else json.loads(update["blocks"])
    assert blocks[:2] == ALERT_BLOCKS
    state = blocks[2]
    assert state["block_id"] == interactions.STATE_BLOCK_ID
    assert state["elements"][0]["text"] == "✅ Pertinent — par @marie, 23/11 07:00"  # the listener's clock: NOW


def test_second_person_and_changed_mind_replace_the_state_block(desk: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = desk
    item_id = ids[LAVAL["link"]]
    clicks = [
        block_actions("pertinent", item_id),
        block_actions("hors_sujet", item_id, user="paul", action_ts="1732353130.1"),
        block_actions("hors_sujet", item_id, action_ts="1732353140.1"),
    ]
    blocks = ALERT_BLOCKS
    for minute, click in enumerate(clicks):
        click["message"]["blocks"] = blocks  # each click comes from the message as last updated
        with session_scope(engine) as session:
            outcome = interactions.handle(session, click, now=NOW + timedelta(minutes=minute))
        assert outcome.changed and outcome.update is not None
        blocks = outcome.update["blocks"]

    with session_scope(engine) as session:
        latest = {(v.who, v.verdict) for v in session.exec(select(Verdict)).all()}
    assert latest == {("@marie", "hors_sujet"), ("@paul", "hors_sujet")}
    assert blocks[:2] == ALERT_BLOCKS
    state = [block for block in blocks if block.get("block_id") == interactions.STATE_BLOCK_ID]
    assert len(state) == 1 and len(blocks) == 3  # replaced, not appended again
    texts = [element["text"] for element in state[0]["elements"]]
    # One line per person, their latest word, oldest first.
    assert texts == ["🚫 Hors sujet — par @paul, 23/11 07:01", "🚫 Hors sujet — par @marie, 23/11 07:02"]


def test_tribune_opens_the_note_modal_and_the_submission_stores_the_note(
    desk: tuple[Engine, dict[str, int]], slack: FakeSlack, listener: DeskListener
) -> None:
    engine, ids = desk
    item_id = ids[LAVAL["link"]]
    click = block_actions("tribune", item_id)
    slack.push(envelope("env-t", click))
    slack.push(envelope("env-t", click, retry=1))
    slack.wait(lambda: listener.handled == 2 and len(slack.acks) == 2)

    opened = slack.calls_to("views.open")
    assert len(opened) == 1  # the retry opens no second modal
    assert opened[0]["trigger_id"] == click["trigger_id"]
    view = opened[0]["view"] if isinstance(opened[0]["view"], dict) else json.loads(opened[0]["view"])
    assert view["callback_id"] == interactions.NOTE_CALLBACK_ID
    assert json.loads(view["private_metadata"])["item_id"] == item_id

    slack.push(envelope("env-s", view_submission(view["private_metadata"], "Angle : la permanence des soins")))
    slack.wait(lambda: listener.handled == 3 and len(slack.acks) == 3)
    assert slack.acks == ["env-t", "env-t", "env-s"]
    with session_scope(engine) as session:
        tribunes = session.exec(select(Tribune)).all()
    assert [(t.item_id, t.status, t.flagged_by, t.note) for t in tribunes] == [
        (item_id, "a_etudier", "@marie", "Angle : la permanence des soins")
    ]
    state = slack.calls_to("chat.update")[0]
    blocks = state["blocks"] if isinstance(state["blocks"], list) else json.loads(state["blocks"])
    assert blocks[-1]["elements"][0]["text"] == "🖋️ Tribune à étudier — signalée par @marie, 23/11 07:00"


def test_on_parle_de_nous_validates_the_detected_mention(desk: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = desk
    mentioned, other = ids[MENTION["link"]], ids[LAVAL["link"]]
    with session_scope(engine) as session:
        outcome = interactions.handle(session, block_actions("on_parle_de_nous", mentioned), now=NOW)
        again = interactions.handle(session, block_actions("on_parle_de_nous", mentioned), now=NOW)
        added = interactions.handle(session, block_actions("on_parle_de_nous", other, action_ts="2.0"), now=NOW)
    assert outcome.changed and not again.changed and added.changed
    assert again.update is None  # a repeated delivery updates nothing
    with session_scope(engine) as session:
        rows = {m.item_id: m for m in session.exec(select(PressMention)).all()}
    assert (rows[mentioned].status, rows[mentioned].origin, rows[mentioned].decided_by) == ("validee", "auto", "@marie")
    assert rows[mentioned].quote and "Danielle Vacher" in rows[mentioned].quote
    assert (rows[other].status, rows[other].origin) == ("validee", "manuel")
    assert outcome.update is not None
    assert (
        outcome.update["blocks"][-1]["elements"][-1]["text"]
        == "📰 On parle de nous (validée) — par @marie, 23/11 07:00"
    )


def test_bad_payloads_are_reported_in_french(desk: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = desk
    broken = block_actions("pertinent", 1)
    broken["actions"][0]["value"] = "abc"
    with session_scope(engine) as session:
        assert interactions.handle(session, broken, now=NOW).problems == [
            "bouton « pertinent » : identifiant d'article illisible « abc »"
        ]
        assert interactions.handle(session, block_actions("pertinent", 999_999), now=NOW).problems == [
            "bouton « pertinent » : article 999999 introuvable"
        ]
        submitted = interactions.handle(session, view_submission("pas du json", "note"), now=NOW)
        assert submitted.problems == ["note de tribune : métadonnées du formulaire illisibles"]
    assert _count(engine, DeskClick) == 0


def test_watcher_run_starts_the_listener_only_with_both_tokens(
    sqlite_engine: Engine, real_config: Config, monkeypatch: pytest.MonkeyPatch, slack: FakeSlack
) -> None:
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    assert start_listener(sqlite_engine, real_config) is None
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert start_listener(sqlite_engine, real_config) is None
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    listener = start_listener(sqlite_engine, real_config)
    assert listener is not None
    try:
        slack.wait_for_socket()
        assert [name for name, _ in slack.calls] == ["apps.connections.open"]
    finally:
        listener.close()
