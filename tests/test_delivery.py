"""The outbox dispatcher against a local fake Slack Web API: once per (story, channel), through failures and crashes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from alerts.dispatch import LEASE, delivery_key
from alerts.slack import SlackSender
from store import outbox
from store.db import session_scope
from store.models import Delivery, Item, Score, Source, Story
from tests.clock import AT_NOW, NOW
from tests.conftest import REPO_ROOT
from tests.deliveryfixtures import TOKEN, collect_demo, database_url, load_test_config, write_config
from tests.fakeslack import Failure, FakeSlack
from watcher.config import Config
from watcher.delivery_job import configured_channels, deliver

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def config() -> Config:
    return load_test_config()


@pytest.fixture
def slack(config: Config) -> FakeSlack:
    with FakeSlack(configured_channels(config)) as fake:
        yield fake  # type: ignore[misc]


def _sender(fake: FakeSlack) -> SlackSender:
    return SlackSender(TOKEN, fake.base_url)


def _alerts(engine: Engine) -> list[Delivery]:
    """The alerts there are to deliver: one per story and channel. In the demo, the Senate's question on the doctors'
    strike merges the patients' associations' story, alerted, into the strike's, alerted in the same channel."""
    with session_scope(engine) as session:
        rows = [row for row in outbox.deliveries(session) if row.kind == "alert"]
        merged = {story.id: story.merged_into_id for story in session.exec(select(Story)).all() if story.merged_into_id}
    alerted = {(row.story_id, row.channel) for row in rows}
    return [row for row in rows if (merged.get(row.story_id), row.channel) not in alerted]


def _merge_notices(engine: Engine) -> list[Delivery]:
    """The replies under the alerts of a merged story that do go out: one per alert there is to deliver."""
    alerts = {(row.story_id, row.channel) for row in _alerts(engine)}
    with session_scope(engine) as session:
        rows = [row for row in outbox.deliveries(session) if row.kind == outbox.MERGED]
    return [row for row in rows if (row.story_id, row.channel) in alerts]


def _later(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def test_demo_alerts_are_delivered_once_through_429_and_500(engine: Engine, config: Config, slack: FakeSlack) -> None:
    demo_config, _ = collect_demo(engine, config)
    alerts, notices = _alerts(engine), _merge_notices(engine)
    assert len(alerts) >= 5, "the demo snapshot must raise alerts"
    # The associations' story, merged into the strike's, keeps one alert where the strike's has none: « On parle de
    # nous ». The reply in its thread names the strike's alert.
    assert [(row.channel, row.status) for row in notices] == [("#on-parle-de-nous", "pending")]
    slack.failures = [
        Failure("chat.postMessage", 429, {"Retry-After": "1"}, "ratelimited"),
        Failure("chat.postMessage", 500),
    ]

    first = deliver(engine, demo_config, _sender(slack), owner="test-1", now=NOW)
    # The 429 was retried by slack-sdk's handler after Retry-After; the 500 leaves its row for a later pass.
    assert first.sent == len(alerts) - 1 + len(notices) and first.retried == 1 and first.failed == 0
    assert len(slack.calls("chat.postMessage")) == len(alerts) + len(notices) + 1  # one 429 retried in place, one 500

    second = deliver(engine, demo_config, _sender(slack), owner="test-1", now=_later(2))
    alert_keys = {delivery_key(row.id or 0) for row in alerts}
    posted = Counter(slack.keys())
    assert {key: posted[key] for key in alert_keys} == dict.fromkeys(alert_keys, 1)
    assert all(row.status == "sent" and row.external_id for row in _alerts(engine))
    assert second.adopted == 0, "a 500 answered before posting leaves nothing to adopt"

    # Every row of the outbox (alerts and thread replies) went out at most once, and a new pass sends nothing.
    assert all(count == 1 for count in posted.values())
    before = len(slack.calls("chat.postMessage"))
    again = deliver(engine, demo_config, _sender(slack), owner="test-2", now=_later(3))
    assert (again.sent, again.adopted, again.retried) == (0, 0, 0)
    assert len(slack.calls("chat.postMessage")) == before
    with session_scope(engine) as session:
        rows = outbox.deliveries(session)
        assert {row.status for row in rows} <= {"sent", "skipped"}
    # The associations' alerts where the strike's story has its own are never sent, nor the notices in their threads.
    superseded = [row for row in rows if row.kind == "alert" and row.id not in {alert.id for alert in alerts}]
    assert sorted(row.channel for row in superseded if row.status == "skipped") == ["#veille-greves", "#veille-hopital"]
    sent_notices = [row.channel for row in rows if row.kind == outbox.MERGED and row.status == "sent"]
    assert sent_notices == ["#on-parle-de-nous"]


def test_slack_down_then_up_delivers_everything_once(engine: Engine, config: Config, slack: FakeSlack) -> None:
    demo_config, _ = collect_demo(engine, config)
    alerts = _alerts(engine)
    slack.down = True
    down = deliver(engine, demo_config, _sender(slack), owner="test", now=NOW)
    assert down.sent == 0 and down.retried > 0 and down.failed == 0
    assert slack.all_messages() == []
    pending = _alerts(engine)
    assert all(row.status == "pending" and row.last_error for row in pending)
    assert "Slack" in (pending[0].last_error or "")

    slack.down = False
    # Rows whose earlier attempt failed are looked up in the history before being posted again.
    up = deliver(engine, demo_config, _sender(slack), owner="test", now=_later(2))
    assert up.sent >= len(alerts) and up.adopted == 0
    assert len(slack.calls("conversations.history")) >= len(alerts)
    posted = Counter(slack.keys())
    assert all(posted[delivery_key(row.id or 0)] == 1 for row in alerts)
    assert all(count == 1 for count in posted.values())


def test_process_killed_between_sending_and_marking_causes_no_duplicate(
    engine: Engine, config: Config, slack: FakeSlack, tmp_path: Path
) -> None:
    collect_demo(engine, config)
    alerts = _alerts(engine)
    slack.hold_posts = True  # the first post is stored, then its answer never comes
    env = {
        "PATH": "/usr/bin:/bin",
        "WATCHER_DATABASE_URL": database_url(engine),
        "WATCHER_CONFIG": str(write_config(tmp_path)),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack.base_url,
    }
    process = subprocess.Popen([sys.executable, "-m", "watcher", *AT_NOW, "deliver"], cwd=REPO_ROOT, env=env)
    try:
        assert slack.posted.wait(60), "the dispatcher never posted"
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    slack.hold_posts = False
    slack.release.set()
    [crashed] = [row for row in _alerts(engine) if row.status == "sending"]
    assert crashed.external_id is None  # sent to Slack, not marked: the crash window
    assert Counter(slack.keys()) == {delivery_key(crashed.id or 0): 1}

    # A restart before the claim expires leaves the row alone (its owner might still be alive)…
    deliver(engine, load_test_config(), _sender(slack), owner="restart", now=NOW + LEASE / 2)
    assert Counter(slack.keys())[delivery_key(crashed.id or 0)] == 1
    # …and after it expires, the message is found by its marker and adopted instead of posted again.
    report = deliver(engine, load_test_config(), _sender(slack), owner="restart", now=_later(2))
    assert report.adopted == 1
    posted = Counter(slack.keys())
    assert all(posted[delivery_key(row.id or 0)] == 1 for row in alerts)
    assert all(count == 1 for count in posted.values())
    with session_scope(engine) as session:
        row = session.get(Delivery, crashed.id)
        assert row is not None and row.status == "sent"
    [message] = [m for m in slack.all_messages() if m["metadata"]["event_payload"]["key"] == delivery_key(row.id or 0)]
    assert row.external_id == message["ts"]


def _hostile_alert(engine: Engine, title: str) -> int:
    with session_scope(engine) as session:
        source = Source(name="Presse hostile", kind="rss", url="https://hostile.test/rss", interval_seconds=1800)
        session.add(source)
        story = Story(title=title, first_seen_at=NOW, last_seen_at=NOW)
        session.add(story)
        session.flush()
        item = Item(
            source_id=source.id or 0,
            story_id=story.id,
            guid="hostile-1",
            url="https://hostile.test/a?x=1|2>3",
            title=title,
            summary="Le résumé <!here> cite <@U999> et _souligne_ ~barre~ `code` & <b>gras</b>.",
            published_at=NOW,
            collected_at=NOW,
            title_date_key="hostile",
            content_hash="h",
        )
        session.add(item)
        session.flush()
        session.add(
            Score(item_id=item.id or 0, score=90, decision="alert", topics=["greve"], why=["*gras* <!channel>"],
                  mentions=[], member_mentions=[], scored_at=NOW)
        )  # fmt: skip
        session.add(Delivery(story_id=story.id or 0, item_id=item.id or 0, channel="#veille-greves", created_at=NOW))
        return item.id or 0


def test_hostile_title_neither_pings_nor_formats(engine: Engine, config: Config, slack: FakeSlack) -> None:
    item_id = _hostile_alert(engine, "<!channel> Grève <@U123> *urgent*")
    report = deliver(engine, config, _sender(slack), owner="test", now=NOW)
    assert report.sent == 1
    [body] = slack.raw_bodies("chat.postMessage")
    payload = json.loads(body)
    text = json.dumps(payload, ensure_ascii=False)
    for forbidden in ("<!channel>", "<!here>", "<@U123>", "<@U999>", "*urgent*", "_souligne_", "~barre~", "`code`"):
        assert forbidden not in text, forbidden
    assert "<!" not in text and "<@" not in text
    assert "&lt;!channel&gt; Grève &lt;@U123&gt; ∗urgent∗" in text
    assert "https://hostile.test/a?x=1%7C2%3E3|" in text  # the link itself cannot be broken out of
    blocks = payload["blocks"]
    [actions] = [block for block in blocks if block["type"] == "actions"]
    assert [button["action_id"] for button in actions["elements"]] == [
        "tribune",
        "pertinent",
        "hors_sujet",
        "on_parle_de_nous",
        "pas_le_meme_sujet",
    ]
    assert {button["value"] for button in actions["elements"]} == {str(item_id)}
    assert "Grèves en santé" in text and "score 90" in text
    assert payload["metadata"]["event_payload"]["key"].startswith("delivery-")


def test_quiet_hours_hold_alerts_until_morning(engine: Engine, slack: FakeSlack) -> None:
    quiet_config = load_test_config(quiet_hours=True)
    _hostile_alert(engine, "Grève aux urgences")
    night = datetime(2026, 11, 23, 23, 15, tzinfo=PARIS)
    held = deliver(engine, quiet_config, _sender(slack), owner="test", now=night)
    assert held.held and slack.calls("chat.postMessage") == []
    morning = datetime(2026, 11, 24, 7, 45, tzinfo=PARIS)
    sent = deliver(engine, quiet_config, _sender(slack), owner="test", now=morning)
    assert sent.sent == 1 and len(slack.calls("chat.postMessage")) == 1


def test_new_outlets_become_one_thread_reply(engine: Engine, config: Config, slack: FakeSlack) -> None:
    _hostile_alert(engine, "Grève des internes")
    first = deliver(engine, config, _sender(slack), owner="test", now=NOW)
    assert first.sent == 1
    [alert] = _alerts(engine)
    start = NOW
    with session_scope(engine) as session:
        for index, outlet in enumerate(("Le Figaro", "Ouest-France")):
            source = Source(name=outlet, kind="rss", url=f"https://{index}.test/", interval_seconds=1800)
            session.add(source)
            session.flush()
            item = Item(source_id=source.id or 0, story_id=alert.story_id, guid=f"g{index}", url=f"https://{index}.test/a",
                        title="Grève des internes", published_at=start, collected_at=start,
                        title_date_key=f"k{index}", content_hash="c")  # fmt: skip
            session.add(item)
            session.flush()
            outbox.enqueue_followups(
                session,
                story_id=alert.story_id,
                item_id=item.id or 0,
                channels=outbox.alert_channels(session, [alert.story_id])[alert.story_id],
                now=start,
                interval=timedelta(minutes=30),
            )
        followups = [row for row in outbox.deliveries(session) if row.kind != "alert"]
    assert len(followups) == 1, "two outlets in the same interval are one reply"
    early = deliver(engine, config, _sender(slack), owner="test", now=NOW)
    assert early.sent == 0, "the reply waits for the end of its interval to gather outlets"
    later = deliver(engine, config, _sender(slack), owner="test", now=start + timedelta(minutes=31))
    assert later.sent == 1
    reply = slack.all_messages()[-1]
    assert reply["thread_ts"] == alert.external_id
    assert reply["text"] == "Aussi dans : Le Figaro, Ouest-France"
    # The reply names the article that brought the outlets, and lets the coordinator contest its join.
    blocks = reply["blocks"] if isinstance(reply["blocks"], list) else json.loads(reply["blocks"])
    [actions] = [block for block in blocks if block["type"] == "actions"]
    assert [(b["action_id"], b["text"]["text"]) for b in actions["elements"]] == [
        ("pas_le_meme_sujet", "Pas le même sujet")
    ]
    with session_scope(engine) as session:
        [followup] = [row for row in outbox.deliveries(session) if row.kind != "alert"]
    assert actions["elements"][0]["value"] == str(followup.item_id)
    assert "https://0.test/a|Grève des internes" in json.dumps(blocks, ensure_ascii=False)
    with session_scope(engine) as session:
        assert len([row for row in outbox.deliveries(session) if row.kind == "alert"]) == 1


def test_unknown_channel_fails_with_a_french_reason(engine: Engine, config: Config, slack: FakeSlack) -> None:
    _hostile_alert(engine, "Grève")
    with session_scope(engine) as session:
        row = session.exec(select(Delivery)).one()
        row.channel = "#canal-inexistant"
    report = deliver(engine, config, _sender(slack), owner="test", now=NOW)
    assert report.failed == 1 and report.sent == 0
    [row] = _alerts(engine)
    assert row.status == "failed" and "channel_not_found" in (row.last_error or "")


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_alerts_test_stops_at_the_first_channel_when_slack_does_not_answer(config: Config, tmp_path: Path) -> None:
    """Slack down: each channel waited for the client's retries, half a minute for seven channels, to say the same
    thing seven times. The first says it; the others are named, not tried."""
    accepted = 0
    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up() -> None:
        nonlocal accepted
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the test is over
            accepted += 1
            connection.close()  # a server that answers nothing

    threading.Thread(target=hang_up, daemon=True).start()
    env = {
        "WATCHER_CONFIG": str(write_config(tmp_path)),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": f"http://127.0.0.1:{listener.getsockname()[1]}/api/",
    }
    try:
        test = _cli([*AT_NOW, "alerts", "test"], env)
    finally:
        listener.close()
    channels = configured_channels(config)
    assert len(channels) > 2 and test.returncode == 1
    assert f"✗ {channels[0]} : Slack injoignable" in test.stdout
    assert all(f"✗ {channel} : non essayé, Slack n'a pas répondu" in test.stdout for channel in channels[1:])
    assert 1 <= accepted <= 4  # the first channel's read and its three retries; before, as many for each channel


def test_cli_deliver_and_alerts_test(sqlite_engine: Engine, config: Config, slack: FakeSlack, tmp_path: Path) -> None:
    collect_demo(sqlite_engine, config)
    env = {
        "WATCHER_DATABASE_URL": database_url(sqlite_engine),
        "WATCHER_CONFIG": str(write_config(tmp_path)),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack.base_url,
    }
    first = _cli([*AT_NOW, "deliver"], env)
    assert first.returncode == 0, first.stderr
    alerts, notices = len(_alerts(sqlite_engine)), len(_merge_notices(sqlite_engine))
    # The merge notices are counted apart from the alerts (they were counted as alerts).
    assert notices and f"{alerts} alertes envoyées, {notices} avis de fusion, 0 déjà publiée" in first.stdout
    second = _cli([*AT_NOW, "deliver"], env)
    assert second.returncode == 0 and "0 alerte envoyée" in second.stdout

    test = _cli([*AT_NOW, "alerts", "test"], env)
    assert test.returncode == 0, test.stderr
    channels = configured_channels(config)
    assert all(f"✓ {channel} : message envoyé" in test.stdout for channel in channels)
    tests = [m for m in slack.all_messages() if "Message de test" in (m["text"] or "")]
    assert len(tests) == len(channels)

    missing = _cli([*AT_NOW, "deliver"], {**env, "SLACK_BOT_TOKEN": ""})
    assert missing.returncode == 1 and "SLACK_BOT_TOKEN n'est pas définie" in missing.stderr
