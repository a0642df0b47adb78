"""Sending a digest by e-mail and to Slack, once per (day, kind, channel).

The run is claimed by inserting its unique key before anything is sent; a
second process finds the key taken and stands down. Slack digests are several
messages (the channel message, then its thread): each one posted is recorded
(`parts_sent`), so a process that takes over a crashed run resumes after the
last recorded message, after looking for the unrecorded one in the channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from alerts import email
from alerts.digest import Digest, render, slack_parts
from alerts.slack import MAX_TEXT, SlackSender, slack_error, split_blocks
from store import outbox
from store.db import session_scope
from store.models import Clock, DeliveryStatus, DigestRun, clock_at

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
EMAIL_CHANNEL = "email"


@dataclass(frozen=True)
class DigestTargets:
    slack_channel: str | None
    recipients: list[str]
    sender_address: str


@dataclass(frozen=True)
class DigestOutcome:
    channel: str
    status: str  # sent | already | busy | error
    detail: str = ""


def message_id(digest: Digest, sender_address: str) -> str:
    """Deterministic, so a copy re-sent after a crash is recognised as the same message by mail clients."""
    domain = sender_address.rsplit("@", 1)[-1]
    return f"<veille-{digest.kind}-{digest.day.isoformat()}@{domain}>"


def slack_messages(digest: Digest) -> list[list[dict[str, Any]]]:
    """The parent message first, then the thread replies; each within Block Kit's limits."""
    messages: list[list[dict[str, Any]]] = []
    for part in slack_parts(digest):
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in _chunks(part)]
        messages.extend(split_blocks(blocks))
    return messages


def _chunks(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut on line ends so no text object passes Slack's 3,000 characters."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > limit:
            chunks.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def send_digest(
    engine: Engine,
    digest: Digest,
    targets: DigestTargets,
    *,
    owner: str,
    slack: SlackSender | None = None,
    smtp: email.SmtpSettings | None = None,
    now: datetime | None = None,
) -> list[DigestOutcome]:
    """Send at `now` (a replay, a test), or at the wall clock's time of each step."""
    clock = clock_at(now)
    outcomes = []
    if targets.recipients and smtp is not None:
        outcomes.append(
            _once(engine, digest, EMAIL_CHANNEL, owner, clock, lambda run: _email(digest, targets, smtp, clock()))
        )
    if targets.slack_channel and slack is not None:
        channel = targets.slack_channel
        outcomes.append(
            _once(engine, digest, channel, owner, clock, lambda run: _slack(engine, digest, slack, channel, run, owner))
        )
    return outcomes


def _once(engine: Engine, digest: Digest, channel: str, owner: str, clock: Clock, send: Any) -> DigestOutcome:
    with session_scope(engine) as session:
        run = outbox.claim_digest_run(
            session, day=digest.day, kind=digest.kind, channel=channel, owner=owner, now=clock(), lease=LEASE
        )
        existing = None if run else outbox.find_digest_run(session, day=digest.day, kind=digest.kind, channel=channel)
    if run is None:
        if existing is not None and existing.status == DeliveryStatus.SENT:
            return DigestOutcome(channel, "already", "déjà envoyée")
        return DigestOutcome(channel, "busy", "envoi en cours par un autre processus")
    try:
        external_id = send(run)
    except Exception as exc:  # recorded on the run; a later `watcher digest --send` takes it over
        detail, permanent = slack_error(exc) if channel != EMAIL_CHANNEL else (f"SMTP : {exc}", False)
        with session_scope(engine) as session:
            outbox.finish_digest_run(
                session,
                run.id or 0,
                owner,
                status=DeliveryStatus.FAILED if permanent else DeliveryStatus.SENDING,
                now=clock(),
                story_count=digest.story_count,
                error=detail,
                release=True,
            )
        return DigestOutcome(channel, "error", detail)
    with session_scope(engine) as session:
        if external_id is not None:
            outbox.digest_progress(
                session, run.id or 0, owner, parts_sent=run.parts_sent, external_id=external_id, channel_id=None
            )
        outbox.finish_digest_run(
            session,
            run.id or 0,
            owner,
            status=DeliveryStatus.SENT,
            now=clock(),
            story_count=digest.story_count,
            error=None,
        )
    return DigestOutcome(channel, "sent")


def _email(digest: Digest, targets: DigestTargets, smtp: email.SmtpSettings, when: datetime) -> str:
    identifier = message_id(digest, targets.sender_address)
    message = email.build_message(
        sender=targets.sender_address,
        recipients=targets.recipients,
        subject=digest.subject,
        text=render(digest, "txt"),
        html=render(digest, "html"),
        message_id=identifier,
        when=when,
    )
    email.send(smtp, message)
    return identifier


def _slack(engine: Engine, digest: Digest, slack: SlackSender, channel: str, run: DigestRun, owner: str) -> None:
    messages = slack_messages(digest)
    channel_id = run.channel_id or slack.channel_id(channel)
    parent_ts = run.external_id
    taken_over = run.created_at < run.claimed_until - LEASE  # claimed again after a crash
    for index in range(run.parts_sent, len(messages)):
        key = f"digest-{run.id}-{index}"
        found = (
            slack.find(channel_id, key, run.created_at, parent_ts) if taken_over and index == run.parts_sent else None
        )
        text = digest.subject if index == 0 else f"{digest.title} (suite {index})"
        ts = found or slack.post(channel_id, text, messages[index], key, thread_ts=parent_ts)
        parent_ts = parent_ts or ts
        with session_scope(engine) as session:
            outbox.digest_progress(
                session, run.id or 0, owner, parts_sent=index + 1, external_id=parent_ts, channel_id=channel_id
            )
        run.parts_sent = index + 1
    return None
