"""Desk → Slack: an action on an alerted item plans one `refresh` row, and the dispatcher edits the alert once.

On SQLite and PostgreSQL, against the fake Slack Web API driven by the real slack-sdk client.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from alerts.dispatch import LEASE
from alerts.interactions import STATE_BLOCK_ID
from alerts.slack import SlackSender
from store import desk, outbox
from store.db import session_scope
from store.models import Delivery, Item, PressMention
from store.splits import split_item
from store.verdicts import record_verdict
from tests.clock import NOW
from tests.deliveryfixtures import TOKEN, load_test_config
from tests.deskdata import HOSPITALS, LAVAL, MENTION, NOISE, collect
from tests.fakeslack import Failure, FakeSlack
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.delivery_job import configured_channels, deliver

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def alerted(engine: Engine, real_config: Config, server: LocalServer) -> tuple[Engine, Config, dict[str, int]]:
    """The desk feed collected at NOW: alerts planned for the Laval, mention and hospital items, none sent yet.

    Delivered with the collective's config without quiet hours, so that the passes may run at NOW (07:00 in Paris).
    These tests count edits, not routes: the observatoire's alerts share the hospital channel here, so that each item
    has one message per channel as before that theme existed (its own channel is covered by tests/web/test_slack_sync).
    """
    routing = real_config.model_copy(deep=True)
    routing.alerts.channels["pertes_de_chance"] = routing.alerts.channels["hopital"]
    _, ids = collect(engine, routing, server)
    return engine, load_test_config(), ids


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(configured_channels(load_test_config())) as fake:
        yield fake


def _sender(slack: FakeSlack) -> SlackSender:
    return SlackSender(TOKEN, slack.base_url)


def _refreshes(engine: Engine) -> list[Delivery]:
    with session_scope(engine) as session:
        return [row for row in outbox.deliveries(session) if row.kind == outbox.REFRESH]


def _alert(engine: Engine, item_id: int, channel: str = "#veille-hopital") -> Delivery:
    with session_scope(engine) as session:
        return next(
            row
            for row in outbox.deliveries(session)
            if (row.item_id, row.kind, row.channel) == (item_id, "alert", channel)
        )


def _state(blocks: list[dict]) -> list[str]:
    """The state lines of a message: its block `veille_etat`, which must be its last block."""
    assert blocks[-1]["block_id"] == STATE_BLOCK_ID
    return [element["text"] for element in blocks[-1]["elements"]]


def _verdict(engine: Engine, item_id: int, verdict: str, who: str, now: datetime) -> bool:
    with session_scope(engine) as session:
        return record_verdict(session, item_id=item_id, topic="hopital", verdict=verdict, who=who, now=now)


def test_an_item_without_a_message_in_slack_queues_nothing(
    alerted: tuple[Engine, Config, dict[str, int]], slack: FakeSlack
) -> None:
    engine, config, ids = alerted
    laval, noise = ids[LAVAL["link"]], ids[NOISE["link"]]
    # No alert at all for the noise item; the Laval alert is planned but not posted: neither needs an edit.
    assert _verdict(engine, noise, "hors_sujet", "magali", NOW)
    assert _verdict(engine, laval, "pertinent", "magali", NOW)
    assert _refreshes(engine) == []

    # The alert posted afterwards shows the verdict given before it went out: no edit needed, none planned.
    report = deliver(engine, config, _sender(slack), owner="test", now=NOW + timedelta(minutes=1))
    assert report.sent == 4 and report.updated == 0
    alert = _alert(engine, laval)
    posted = next(m for m in slack.all_messages() if m["ts"] == alert.external_id)
    assert _state(posted["blocks"]) == ["✅ Pertinent — par magali, 23/11 07:00"]
    assert _refreshes(engine) == [] and slack.calls("chat.update") == []


def test_actions_on_a_sent_alert_become_one_edit_of_each_message_showing_the_item(
    alerted: tuple[Engine, Config, dict[str, int]], slack: FakeSlack
) -> None:
    engine, config, ids = alerted
    laval, mentioned = ids[LAVAL["link"]], ids[MENTION["link"]]
    assert deliver(engine, config, _sender(slack), owner="test", now=NOW).sent == 4
    posted = {m["ts"]: dict(m) for m in slack.all_messages()}

    later = NOW + timedelta(minutes=5)
    assert _verdict(engine, laval, "pertinent", "magali", later)
    with session_scope(engine) as session:
        desk.flag_tribune(session, item_id=laval, who="paul", now=later, note="Angle : la régulation")
        mention = session.exec(select(PressMention).where(PressMention.item_id == mentioned)).one()
        assert desk.set_mention_status(session, mention, "validee", "magali", now=later)
    assert not _verdict(engine, laval, "pertinent", "magali", later)  # no change, nothing more to show
    # Coalesced per message: two actions on Laval, one row; the mention item is alerted in two channels.
    rows = _refreshes(engine)
    assert sorted((row.item_id, row.channel) for row in rows) == sorted(
        [(laval, "#veille-hopital"), (mentioned, "#veille-hopital"), (mentioned, "#on-parle-de-nous")]
    )

    report = deliver(engine, config, _sender(slack), owner="test", now=later + timedelta(minutes=1))
    assert (report.updated, report.sent, report.retried, report.failed) == (3, 0, 0, 0)
    updates = slack.calls("chat.update")
    laval_alert = _alert(engine, laval)
    edit = next(call for call in updates if call["ts"] == laval_alert.external_id)
    assert edit["channel"] == laval_alert.channel_id
    assert _state(edit["blocks"]) == [
        "✅ Pertinent — par magali, 23/11 07:05",
        "🖋️ Tribune à étudier — signalée par paul, 23/11 07:05 : « Angle : la régulation »",
    ]
    # The same message as posted (title, outlets, buttons), with the state block added under it.
    assert edit["blocks"][:-1] == posted[laval_alert.external_id]["blocks"]
    for channel in ("#veille-hopital", "#on-parle-de-nous"):
        mention_alert = _alert(engine, mentioned, channel)
        stored = next(m for m in slack.all_messages() if m["ts"] == mention_alert.external_id)
        assert _state(stored["blocks"])[-1] == "📰 On parle de nous (validée) — par magali, 23/11 07:05"
    assert {row.status for row in _refreshes(engine)} == {"sent"}

    # Exactly once: a new pass edits nothing; a new action arms the same row again.
    assert deliver(engine, config, _sender(slack), owner="test", now=later + timedelta(minutes=2)).updated == 0
    assert len(slack.calls("chat.update")) == 3
    assert _verdict(engine, laval, "hors_sujet", "magali", later + timedelta(minutes=3))
    assert len(_refreshes(engine)) == 3
    again = deliver(engine, config, _sender(slack), owner="test", now=later + timedelta(minutes=4))
    assert again.updated == 1
    assert _state(slack.calls("chat.update")[-1]["blocks"])[0] == "🚫 Hors sujet — par magali, 23/11 07:08"


def test_a_failed_edit_is_retried_and_told_in_french(
    alerted: tuple[Engine, Config, dict[str, int]], slack: FakeSlack
) -> None:
    engine, config, ids = alerted
    laval = ids[LAVAL["link"]]
    deliver(engine, config, _sender(slack), owner="test", now=NOW)
    assert _verdict(engine, laval, "pertinent", "magali", NOW)
    slack.failures = [Failure("chat.update", 500)]

    failed = deliver(engine, config, _sender(slack), owner="test", now=NOW + timedelta(minutes=1))
    assert (failed.updated, failed.retried) == (0, 1)
    assert failed.errors == ["#veille-hopital : mise à jour de l'alerte : Slack a refusé l'envoi (internal_error)"]
    [row] = _refreshes(engine)
    assert (
        row.status == "pending"
        and row.last_error == "mise à jour de l'alerte : Slack a refusé l'envoi (internal_error)"
    )

    retried = deliver(engine, config, _sender(slack), owner="test", now=NOW + timedelta(minutes=5))
    assert (retried.updated, retried.retried) == (1, 0)
    assert len(slack.calls("chat.update")) == 2  # the refused one, then the one that went through
    [row] = _refreshes(engine)
    assert row.status == "sent" and row.last_error is None

    # An alert deleted in Slack cannot be edited: the row fails for good, with its reason.
    alert = _alert(engine, laval)
    slack.messages[alert.channel_id or ""].clear()
    assert _verdict(engine, laval, "hors_sujet", "magali", NOW + timedelta(minutes=6))
    gone = deliver(engine, config, _sender(slack), owner="test", now=NOW + timedelta(minutes=7))
    assert gone.failed == 1
    [row] = _refreshes(engine)
    assert (row.status, row.last_error) == (
        "failed",
        "mise à jour de l'alerte : Slack a refusé l'envoi (message_not_found)",
    )


def test_an_edit_survives_a_crash_and_an_action_during_a_send_is_not_lost(
    alerted: tuple[Engine, Config, dict[str, int]], slack: FakeSlack
) -> None:
    engine, config, ids = alerted
    laval = ids[LAVAL["link"]]
    deliver(engine, config, _sender(slack), owner="test", now=NOW)
    assert _verdict(engine, laval, "pertinent", "magali", NOW)
    [row] = _refreshes(engine)
    # A dispatcher claims the row, reads the state, and dies before marking it; then Paul acts.
    with session_scope(engine) as session:
        assert outbox.claim_delivery(session, row.id or 0, "crashed", NOW, LEASE) is not None
    assert _verdict(engine, laval, "hors_sujet", "paul", NOW + timedelta(seconds=30))
    [row] = _refreshes(engine)
    assert row.status == "pending" and row.next_attempt_at == NOW + LEASE  # not before the dead claim ends

    assert deliver(engine, config, _sender(slack), owner="test", now=NOW + timedelta(minutes=1)).updated == 0
    after = deliver(engine, config, _sender(slack), owner="test", now=NOW + LEASE + timedelta(seconds=1))
    assert after.updated == 1 and len(slack.calls("chat.update")) == 1
    assert _state(slack.calls("chat.update")[0]["blocks"]) == [
        "✅ Pertinent — par magali, 23/11 07:00",
        "🚫 Hors sujet — par paul, 23/11 07:00",
    ]
    assert [row.status for row in _refreshes(engine)] == ["sent"]


def test_edits_go_out_in_quiet_hours_while_alerts_wait(
    alerted: tuple[Engine, Config, dict[str, int]], slack: FakeSlack
) -> None:
    engine, config, ids = alerted
    quiet = load_test_config(quiet_hours=True)
    laval, hospitals = ids[LAVAL["link"]], ids[HOSPITALS["link"]]
    with session_scope(engine) as session:  # the hospitals alert is due an hour later: it meets the night
        row = session.get(Delivery, _alert(engine, hospitals).id)
        row.next_attempt_at = NOW + timedelta(hours=1)
    assert deliver(engine, config, _sender(slack), owner="test", now=NOW).sent == 3
    night = datetime(2026, 11, 23, 23, 15, tzinfo=PARIS)
    assert _verdict(engine, laval, "pertinent", "magali", night)
    report = deliver(engine, quiet, _sender(slack), owner="test", now=night)
    # An edit notifies nobody: it goes out at night, while the alert waits for the morning.
    assert report.held and (report.updated, report.sent) == (1, 0)
    assert len(slack.calls("chat.postMessage")) == 3 and len(slack.calls("chat.update")) == 1
    assert _alert(engine, hospitals).status == "pending"


def test_a_split_of_an_alerted_item_edits_its_alert(
    alerted: tuple[Engine, Config, dict[str, int]], slack: FakeSlack
) -> None:
    engine, config, ids = alerted
    laval, noise = ids[LAVAL["link"]], ids[NOISE["link"]]
    assert deliver(engine, config, _sender(slack), owner="test", now=NOW).sent == 4
    alert = _alert(engine, laval)
    with session_scope(engine) as session:  # a join to contest: the noise item put into Laval's story
        joined = session.get(Item, noise)
        assert joined is not None
        joined.story_id = alert.story_id
        session.add(joined)
    later = NOW + timedelta(minutes=5)
    with session_scope(engine) as session:
        split_item(session, laval, who="magali", now=later)
    assert [(row.item_id, row.channel) for row in _refreshes(engine)] == [(laval, alert.channel)]

    report = deliver(engine, config, _sender(slack), owner="test", now=later + timedelta(minutes=1))
    assert report.updated == 1
    edit = next(call for call in slack.calls("chat.update") if call["ts"] == alert.external_id)
    split_line = "✂️ Pas le même sujet — séparé par magali, 23/11 07:05"
    assert any(line.startswith(split_line) for line in _state(edit["blocks"]))


def test_a_tribune_edited_on_any_field_refreshes_the_line_that_says_who_changed_it_last(
    alerted: tuple[Engine, Config, dict[str, int]], slack: FakeSlack
) -> None:
    """The state line reads « modifiée par … » from any edit of the tribune: an outlet or a deadline changes it too
    (only a change of status or note was sent to Slack). An edit that changes nothing changes nothing."""
    engine, config, ids = alerted
    laval = ids[LAVAL["link"]]
    assert deliver(engine, config, _sender(slack), owner="test", now=NOW).sent == 4
    with session_scope(engine) as session:
        desk.flag_tribune(session, item_id=laval, who="paul", now=NOW, note="Angle : la régulation")
    assert deliver(engine, config, _sender(slack), owner="test", now=NOW + timedelta(minutes=1)).updated == 1

    later = NOW + timedelta(minutes=10)
    with session_scope(engine) as session:
        tribune = desk.tribune_for(session, laval)
        assert tribune is not None
        desk.update_tribune(session, tribune, who="magali", now=later, outlet="Libération")
    assert [row.status for row in _refreshes(engine)] == ["pending"]
    assert deliver(engine, config, _sender(slack), owner="test", now=later + timedelta(minutes=1)).updated == 1
    assert _state(slack.calls("chat.update")[-1]["blocks"]) == [
        "🖋️ Tribune à étudier — signalée par paul, 23/11 07:00 · modifiée par magali, 23/11 07:10"
        " : « Angle : la régulation »"
    ]

    with session_scope(engine) as session:  # the same outlet, typed again by someone else
        tribune = desk.tribune_for(session, laval)
        assert tribune is not None
        desk.update_tribune(session, tribune, who="paul", now=later + timedelta(minutes=5), outlet="Libération")
        assert (tribune.updated_by, tribune.updated_at) == ("magali", later)
    assert [row.status for row in _refreshes(engine)] == ["sent"]
