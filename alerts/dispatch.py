"""The outbox dispatcher: pending deliveries -> Slack, exactly once.

The protocol (see README, « Exactement une fois »):
1. claim the row (status `sending`, a lease, attempts + 1) in its own transaction;
2. if an earlier attempt may have posted (attempts > 1), look for the row's marker
   in the channel history first, and adopt the message found instead of posting;
3. post with the marker (`metadata.event_payload.key = delivery-<id>`);
4. mark the row sent with the message ts.
A crash between 3 and 4 leaves the row `sending`; when its lease expires the next
pass reaches step 2, finds the message and marks it sent without posting again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from alerts.slack import AlertContent, SlackSender, alert_message, follow_up_message, slack_error
from store import outbox
from store.db import session_scope
from store.models import Clock, Delivery, clock_at

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)
PARENT_WAIT = timedelta(minutes=1)


@dataclass(frozen=True)
class DispatchSettings:
    zone: ZoneInfo
    topic_labels: dict[str, str]
    quiet_hours: tuple[time, time] | None = None
    owner: str = "dispatcher"


@dataclass
class PassReport:
    sent: int = 0
    adopted: int = 0  # found already posted by a crashed attempt: marked, not re-sent
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    held: bool = False  # quiet hours
    errors: list[str] = field(default_factory=list)


def in_quiet_hours(moment: datetime, quiet: tuple[time, time] | None, zone: ZoneInfo) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    local = moment.astimezone(zone).time()
    return start <= local < end if start <= end else (local >= start or local < end)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30 * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def delivery_key(delivery_id: int) -> str:
    return f"delivery-{delivery_id}"


def deliver_pending(
    engine: Engine, sender: SlackSender, settings: DispatchSettings, *, now: datetime | None = None
) -> PassReport:
    """One dispatcher pass over the due rows of the outbox, at `now` (a replay, a test) or by the wall clock."""
    clock = clock_at(now)
    moment = clock()
    report = PassReport()
    if in_quiet_hours(moment, settings.quiet_hours, settings.zone):
        # Held, not dropped: the rows stay pending and go out with the first pass after the quiet hours.
        report.held = True
        return report
    with session_scope(engine) as session:
        ids = outbox.due_deliveries(session, moment)
    for delivery_id in ids:
        with session_scope(engine) as session:
            row = outbox.claim_delivery(session, delivery_id, settings.owner, moment, LEASE)
        if row is None:
            continue  # another dispatcher took it
        _deliver_one(engine, sender, settings, row, moment, clock, report)
    return report


def _deliver_one(
    engine: Engine,
    sender: SlackSender,
    settings: DispatchSettings,
    row: Delivery,
    moment: datetime,
    clock: Clock,
    report: PassReport,
) -> None:
    delivery_id = row.id or 0
    key = delivery_key(delivery_id)
    owner = settings.owner
    try:
        with session_scope(engine) as session:
            plan = _plan(session, row, settings)
        if plan is None:
            with session_scope(engine) as session:
                outbox.mark_skipped(session, delivery_id, owner, moment)
            report.skipped += 1
            return
        if plan == "wait":
            with session_scope(engine) as session:
                outbox.mark_retry(
                    session, delivery_id, owner, error="alerte parente pas encore envoyée", at=moment + PARENT_WAIT
                )
            return
        text, blocks, thread_ts, outlets = plan
        channel_id = row.channel_id or sender.channel_id(row.channel)
        if row.channel_id is None:
            with session_scope(engine) as session:
                outbox.remember_channel_id(session, delivery_id, channel_id)
        found = None
        if row.attempts > 1:
            found = sender.find(channel_id, key, row.created_at, thread_ts)
        if found is not None:
            report.adopted += 1
            ts = found
        else:
            ts = sender.post(channel_id, text, blocks, key, thread_ts)
            report.sent += 1
        with session_scope(engine) as session:
            if not outbox.mark_sent(session, delivery_id, owner, external_id=ts, outlets=outlets, now=clock()):
                log.warning("livraison %s : le verrou a expiré pendant l'envoi", delivery_id)
    except Exception as exc:  # every failure is recorded on the row; the pass goes on with the next one
        message, permanent = slack_error(exc)
        report.errors.append(f"{row.channel} : {message}")
        with session_scope(engine) as session:
            if permanent:
                outbox.mark_failed(session, delivery_id, owner, error=message)
                report.failed += 1
            else:
                outbox.mark_retry(session, delivery_id, owner, error=message, at=moment + backoff(row.attempts))
                report.retried += 1


Plan = tuple[str, list[dict[str, object]] | None, str | None, list[str]]


def _plan(session: Session, row: Delivery, settings: DispatchSettings) -> Plan | str | None:
    """What to post for a row: (text, blocks, thread ts, outlets announced), "wait", or None (nothing to say)."""
    view = outbox.alert_view(session, row)
    if row.kind == "alert":
        score = view.score
        topics = list(score.topics) if score else []
        if score and score.mentions:
            topics = ["mention", *topics]
        labels = [
            (key, "On parle de nous" if key == "mention" else settings.topic_labels.get(key, key)) for key in topics
        ]
        content = AlertContent(
            item_id=view.item.id or 0,
            title=view.item.title,
            url=view.item.url,
            summary=view.item.summary,
            outlets=view.outlets,
            published=view.item.published_at,
            topic_labels=labels,
            why=[score.summary] if score and score.summary else (list(score.why[:4]) if score else []),
            score=score.score if score else 0,
        )
        text, blocks = alert_message(content, settings.zone)
        return text, list(blocks), None, view.outlets
    parent = outbox.parent_alert(session, row.story_id, row.channel)
    if parent is None or parent.status in ("failed", "skipped"):
        return None
    if parent.status != "sent" or parent.external_id is None:
        return "wait"
    new = [
        outlet for outlet in view.outlets if outlet not in outbox.announced_outlets(session, row.story_id, row.channel)
    ]
    if not new:
        return None
    text, blocks = follow_up_message(view.item.id or 0, view.item.title, view.item.url, new)
    return text, blocks, parent.external_id, new
