"""The digest sent by e-mail (real aiosmtpd) and to Slack (local fake), once per day and channel."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from alerts.digest import render
from alerts.digest_delivery import slack_messages
from alerts.email import SmtpConfigError, parse_smtp_url
from alerts.slack import MAX_BLOCKS, MAX_MESSAGE_CHARS, MAX_TEXT, SlackSender, block_chars
from store import outbox
from store.db import session_scope
from store.models import Item, Tribune
from tests.clock import AT_NOW, NOW
from tests.conftest import REPO_ROOT
from tests.deliveryfixtures import TOKEN, collect_demo, database_url, load_test_config, smtp_server, write_config
from tests.fakeslack import Failure, FakeSlack
from watcher.config import Config
from watcher.delivery_job import configured_channels
from watcher.digest_job import digest_kinds, produce_digest, send_digests


def _digest_day(config: Config) -> date:
    """The day whose digest window (the 24 hours before its 07:30) contains NOW."""
    local = NOW.astimezone(config.digest.zone)
    return local.date() if local.time() < config.digest.time else local.date() + timedelta(days=1)


def _not_weekly(config: Config) -> Config:
    return config.model_copy(update={"digest": config.digest.model_copy(update={"weekly": False})})


@pytest.fixture
def demo(engine: Engine) -> Config:
    config, _ = collect_demo(engine, _not_weekly(load_test_config()))
    return config


@pytest.fixture
def sqlite_demo(sqlite_engine: Engine) -> Config:
    """For the tests that exercise rendering only: one backend is enough."""
    config, _ = collect_demo(sqlite_engine, _not_weekly(load_test_config()))
    return config


def _flag_for_tribune(engine: Engine) -> str:
    with session_scope(engine) as session:
        item = session.get(Item, 3)
        assert item is not None
        session.add(Tribune(item_id=item.id or 0, note="Angle patients", flagged_by="U1", flagged_at=NOW))
        return item.title


def test_digest_sections_order_labels_and_formats(engine: Engine, demo: Config, tmp_path: Path) -> None:
    flagged_title = _flag_for_tribune(engine)
    day = _digest_day(demo)
    digest, files = produce_digest(engine, demo, day=day, out_dir=tmp_path, now=NOW)
    # « À lire »: the strongest stories, mentions of the collective first; « Aussi »: the rest, by section, in the
    # configuration's order; the tribunes last.
    assert len(digest.top) == demo.digest.top and digest.top[0].section == "mention"
    assert [entry.section for entry in digest.top] == sorted(
        (entry.section for entry in digest.top), key=lambda key: key != "mention"
    )
    keys = [section.key for section in digest.sections]
    assert keys[-1] == "tribune" and "parlement" in keys
    assert keys[:-1] == [key for key in ("mention", *demo.topics, "parlement") if key in keys]
    seen = [entry.story_id for entry in digest.entries]
    assert len(seen) == len(set(seen)), "each story appears once"
    parliament = next(section for section in digest.sections if section.key == "parlement")
    assert all(entry.outlets[0] in ("Sénat (démo)", "Assemblée nationale (démo)") for entry in parliament.entries)
    tribune = digest.sections[-1]
    assert [entry.title for entry in tribune.entries] == [flagged_title] and tribune.entries[0].note
    assert not any(entry.follow_up for entry in digest.entries)

    markdown, text, html = render(digest, "md"), render(digest, "txt"), render(digest, "html")
    headings = {"parlement": "### Parlement", **{key: f"### {topic.label}" for key, topic in demo.topics.items()}}
    order = ["## À lire", "## Aussi", *(headings[key] for key in keys[:-1] if key in headings)]
    order.append("## À creuser pour une tribune")
    positions = [markdown.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "**nouveau**" in markdown and "regroupé" in markdown and "Sources en panne (1)" in markdown
    assert "Pourquoi : " in markdown and "score " not in markdown  # reasons in words, the points stay in preview
    assert "[nouveau · On parle de nous]" in text and "<" not in text.replace("<<", "")
    assert "nouveau</span>" in html and "src=" not in html and "http://" not in html.split("<body")[0]
    assert {path.suffix for path in files} == {".html", ".md"}

    # The next day's digest labels the same stories « suite ».
    tomorrow, _ = produce_digest(
        engine, demo, window=(digest.start, digest.end + timedelta(days=1)), out_dir=tmp_path / "b", now=NOW
    )
    assert tomorrow.day > digest.day
    assert all(entry.follow_up for entry in tomorrow.entries)
    assert "*suite*" in render(tomorrow, "md")


def test_digest_goes_out_by_email_and_slack_once(engine: Engine, demo: Config, tmp_path: Path) -> None:
    day = _digest_day(demo)
    with smtp_server() as (mailbox, url), FakeSlack(configured_channels(demo)) as slack:
        slack.failures = [Failure("chat.postMessage", 429, {"Retry-After": "1"}, "ratelimited")]
        sender = SlackSender(TOKEN, slack.base_url)
        [(digest, _, outcomes)] = send_digests(
            engine, demo, day, owner="a", slack=sender, smtp=parse_smtp_url(url), out_dir=tmp_path, now=NOW
        )
        assert [(o.channel, o.status) for o in outcomes] == [("email", "sent"), ("#veille", "sent")]
        [message] = mailbox.messages
        assert message["Subject"] == digest.subject
        assert message["Subject"].startswith("Veille Action Patients — ") and message["Subject"].endswith(" articles")
        assert message["Message-ID"] == f"<veille-daily-{day.isoformat()}@actionpatients.example>"
        assert message["Date"] and message.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        assert "On parle de nous" in message.get_body(("plain",)).get_content()
        assert mailbox.envelopes[0][1] == list(demo.digest.recipients)

        posted = slack.all_messages()
        parent = posted[0]
        assert parent["thread_ts"] is None and parent["text"] == digest.subject
        parent_text = "\n".join(block["text"]["text"] for block in parent["blocks"])
        counts = digest.counts
        assert f"{counts.collected} articles collectés" in parent_text and "Flux cassé" in parent_text
        merged = "doublon regroupé" if counts.duplicates_merged <= 1 else "doublons regroupés"
        assert f"{counts.duplicates_merged} {merged}" in parent_text  # French singular for 0 and 1
        assert len(posted) == len(slack_messages(digest)) > 1
        assert all(reply["thread_ts"] == parent["ts"] for reply in posted[1:])
        replies = "\n".join(block["text"]["text"] for m in posted[1:] for block in m["blocks"])
        assert replies.index("*À lire*") < replies.index("*Aussi — Parlement*")

        again = send_digests(
            engine, demo, day, owner="b", slack=sender, smtp=parse_smtp_url(url), out_dir=tmp_path, now=NOW
        )
        assert [(o.channel, o.status) for o in again[0][2]] == [("email", "already"), ("#veille", "already")]
        assert len(mailbox.messages) == 1 and len(slack.all_messages()) == len(posted)


def test_slack_digest_interrupted_resumes_without_repeating(engine: Engine, demo: Config, tmp_path: Path) -> None:
    day = _digest_day(demo)
    slack_only = demo.model_copy(update={"digest": demo.digest.model_copy(update={"recipients": []})})
    with FakeSlack(configured_channels(demo)) as slack:
        sender = SlackSender(TOKEN, slack.base_url)
        original = slack.answer
        calls = {"posts": 0}

        def flaky(method: str, args: dict, body: bytes):  # type: ignore[no-untyped-def]
            if method == "chat.postMessage":
                calls["posts"] += 1
                slack.down = calls["posts"] == 3  # Slack fails on the third message of the digest
            return original(method, args, body)

        slack.answer = flaky  # type: ignore[method-assign]
        [(digest, _, outcomes)] = send_digests(
            engine, slack_only, day, owner="a", slack=sender, smtp=None, out_dir=tmp_path, now=NOW
        )
        assert outcomes[0].status == "error" and "Slack" in outcomes[0].detail
        assert len(slack.all_messages()) == 2
        with session_scope(engine) as session:
            [run] = outbox.digest_runs(session)
            assert run.status == "sending" and run.parts_sent == 2

        slack.down = False
        calls["posts"] = 10
        later = NOW + timedelta(minutes=1)
        [(_, _, outcomes)] = send_digests(
            engine, slack_only, day, owner="b", slack=sender, smtp=None, now=later, out_dir=tmp_path
        )
        assert outcomes[0].status == "sent"
        keys = slack.keys()
        assert len(keys) == len(set(keys)) == len(slack_messages(digest))


def test_two_digest_send_processes_send_one_digest(engine: Engine, demo: Config, tmp_path: Path) -> None:
    day = _digest_day(demo)
    config_path = write_config(tmp_path)
    with smtp_server() as (mailbox, url), FakeSlack(configured_channels(demo)) as slack:
        env = {
            "PATH": "/usr/bin:/bin",
            "COLUMNS": "200",
            "WATCHER_DATABASE_URL": database_url(engine),
            "WATCHER_CONFIG": str(config_path),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.base_url,
            "WATCHER_SMTP_URL": url,
        }
        command = [sys.executable, "-m", "watcher", *AT_NOW, "digest", "--send", "--date", day.isoformat()]
        processes = [
            subprocess.Popen(
                [*command, "--out", str(tmp_path / f"out{n}")],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(2)
        ]
        outputs = [process.communicate(timeout=120) for process in processes]
        for process, (_, stderr) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, stderr
        stdout = "\n".join(out for out, _ in outputs)
        daily = [m for m in mailbox.messages if "semaine" not in m["Subject"]]
        assert len(daily) == 1, stdout
        parents = [m for m in slack.all_messages() if m["thread_ts"] is None and "semaine" not in m["text"]]
        assert len(parents) == 1, stdout
        assert stdout.count("e-mail : envoyée") == len(mailbox.messages)
        assert "e-mail : déjà envoyée" in stdout or "e-mail : en cours ailleurs" in stdout


def test_block_kit_limits_split_long_digests(sqlite_engine: Engine, sqlite_demo: Config, tmp_path: Path) -> None:
    digest, _ = produce_digest(sqlite_engine, sqlite_demo, day=_digest_day(sqlite_demo), out_dir=tmp_path, now=NOW)
    long_section = digest.sections[1]
    many = [long_section.entries[0]] * 400
    bigger = type(digest)(**{**digest.__dict__, "sections": [type(long_section)("hopital", "Hôpital", many)]})
    messages = slack_messages(bigger)
    assert len(messages) > 2
    for blocks in messages:
        assert len(blocks) <= MAX_BLOCKS
        assert sum(block_chars(block) for block in blocks) <= MAX_MESSAGE_CHARS
        assert all(len(block["text"]["text"]) <= MAX_TEXT for block in blocks)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://mail.test", "schéma « http » non reconnu"),
        ("smtp://", "nom du serveur manquant"),
        ("smtp://mail.test?tls=1", "option inconnue « tls »"),
        ("smtp://mail.test:port", "port invalide"),
    ],
)
def test_bad_smtp_url_is_explained_in_french(url: str, fragment: str) -> None:
    with pytest.raises(SmtpConfigError, match=fragment):
        parse_smtp_url(url)


def test_smtp_url_options_and_secret() -> None:
    settings = parse_smtp_url("smtps://veille%40ap.fr:s3cr%C3%A9t@smtp.test")
    assert (settings.host, settings.port, settings.implicit_tls, settings.username) == (
        "smtp.test",
        465,
        True,
        "veille@ap.fr",
    )
    assert settings.password == "s3crét" and "s3cr" not in repr(settings)
    assert parse_smtp_url("smtp://smtp.test:587?starttls=true").starttls


def test_cli_send_without_smtp_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "watcher", "digest", "--send"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "WATCHER_CONFIG": str(write_config(tmp_path)),
             "WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "WATCHER_SMTP_URL" in result.stderr and "n'est pas définie" in result.stderr


def test_weekly_digest_on_the_configured_day(sqlite_engine: Engine, sqlite_demo: Config, tmp_path: Path) -> None:
    day = _digest_day(sqlite_demo)
    weekday = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")[day.weekday()]
    digest_settings = sqlite_demo.digest.model_copy(update={"weekly": True, "weekly_day": weekday, "recipients": []})
    weekly = sqlite_demo.model_copy(update={"digest": digest_settings})
    results = send_digests(sqlite_engine, weekly, day, owner="a", slack=None, smtp=None, out_dir=tmp_path, now=NOW)
    assert [digest.kind for digest, _, _ in results] == ["daily", "weekly"]
    assert results[1][0].end - results[1][0].start == timedelta(days=7)
    assert (tmp_path / f"veille-hebdo-{day.isoformat()}.md").is_file()
    assert digest_kinds(weekly, day + timedelta(days=1)) == ["daily"]
    assert isinstance(results[0][0].start, datetime)


def test_no_digest_for_a_window_with_nothing_collected(
    sqlite_engine: Engine, sqlite_demo: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Regression: a fresh database started after 07:30 sent an empty digest at once (« collected=0 »).
    empty_day = _digest_day(sqlite_demo) - timedelta(days=3)
    out = tmp_path / "digests"
    with caplog.at_level(logging.WARNING, logger="watcher.digest_job"):
        results = send_digests(sqlite_engine, sqlite_demo, empty_day, owner="a", slack=None, smtp=None, out_dir=out)
    assert results == [] and not out.exists()
    assert f"synthèse quotidienne du {empty_day.isoformat()} non produite : aucun article collecté" in caplog.text
