"""The outbox dispatcher: pending deliveries -> Slack, exactly once.

The protocol (see README, « Exactement une fois »):
1. claim the row (status `sending`, a lease, attempts + 1) in its own transaction;
2. if an earlier attempt may have posted (attempts > 1), look for the row's marker
   in the channel history first, and adopt the message found instead of posting;
3. post with the marker (`metadata.event_payload.key = delivery-<id>`);
4. mark the row sent with the message ts.
A crash between 3 and 4 leaves the row `sending`; when its lease expires the next
pass reaches step 2, finds the message and marks it sent without posting again.

A `refresh` row edits its alert instead (chat.update with the desk's state of the item,
read when it goes out): an edit replaces the message whole, so repeating it after a
crash is harmless, and it needs no marker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from alerts.interactions import state_block, state_block_of, state_lines
from alerts.slack import AlertContent, SlackSender, alert_message, follow_up_message, merged_message, slack_error
from store import outbox
from store.db import session_scope
from store.models import Clock, Delivery, DeliveryStatus, clock_at

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
    sent: int = 0  # messages posted: alerts, thread replies and merge notices
    follow_ups: int = 0  # of them, thread replies naming a story's new outlets
    notices: int = 0  # of them, merge notices (`store.merges`) in the thread of the alert merged away
    adopted: int = 0  # found already posted by a crashed attempt: marked, not re-sent
    updated: int = 0  # alerts edited to show the desk's state of their item
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    held: bool = False  # quiet hours
    errors: list[str] = field(default_factory=list)

    @property
    def alerts(self) -> int:
        """The story alerts among the messages posted."""
        return self.sent - self.follow_ups - self.notices


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
    # Held, not dropped: the rows stay pending and go out with the first pass after the quiet hours.
    # An edit notifies nobody, so alerts keep following the desk through the night.
    report.held = in_quiet_hours(moment, settings.quiet_hours, settings.zone)
    with session_scope(engine) as session:
        ids = outbox.due_deliveries(session, moment, kind=outbox.REFRESH if report.held else None)
    for delivery_id in ids:
        with session_scope(engine) as session:
            row = outbox.claim_delivery(session, delivery_id, settings.owner, moment, LEASE)
        if row is None:
            continue  # another dispatcher took it
        if row.kind == outbox.REFRESH:
            _refresh_one(engine, sender, settings, row, moment, clock, report)
        else:
            _deliver_one(engine, sender, settings, row, moment, clock, report)
    return report


def _refresh_one(
    engine: Engine,
    sender: SlackSender,
    settings: DispatchSettings,
    row: Delivery,
    moment: datetime,
    clock: Clock,
    report: PassReport,
) -> None:
    """Edit a sent alert so that it shows its item's state on the desk now (verdicts, tribune, register)."""
    delivery_id, owner = row.id or 0, settings.owner
    try:
        with session_scope(engine) as session:
            alert = outbox.parent_alert(session, row.story_id, row.channel)
            gate = _parent_gate(alert)
            if gate == "skip":
                outbox.mark_skipped(session, delivery_id, owner, moment)
                report.skipped += 1
                return
            if gate == "wait" or alert is None:
                outbox.mark_retry(
                    session, delivery_id, owner, error="alerte pas encore envoyée", at=moment + PARENT_WAIT
                )
                return
            # The outlets the alert announced when it was posted: the edit changes its state, not its news.
            text, blocks = _alert_message(outbox.alert_view(session, alert), settings, alert.outlets)
            blocks.append(state_block(session, alert.item_id, settings.zone))
            ts, channel_id = alert.external_id, alert.channel_id
        sender.update(channel_id or sender.channel_id(row.channel), ts, text, blocks)
        report.updated += 1
        with session_scope(engine) as session:
            if not outbox.mark_sent(session, delivery_id, owner, external_id=ts, outlets=[], now=clock()):
                log.info("mise à jour %s : une action plus récente la redemande", delivery_id)
    except Exception as exc:  # recorded on the row like any delivery; an edit is safe to repeat
        _record_failure(engine, row, owner, exc, moment, report, what="mise à jour de l'alerte : ")


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
            if row.kind == outbox.MERGED:
                report.notices += 1
            elif row.kind.startswith(outbox.FOLLOWUP_PREFIX):
                report.follow_ups += 1
        with session_scope(engine) as session:
            if not outbox.mark_sent(session, delivery_id, owner, external_id=ts, outlets=outlets, now=clock()):
                log.warning("livraison %s : le verrou a expiré pendant l'envoi", delivery_id)
    except Exception as exc:  # every failure is recorded on the row; the pass goes on with the next one
        _record_failure(engine, row, owner, exc, moment, report)


def _record_failure(
    engine: Engine, row: Delivery, owner: str, exc: Exception, moment: datetime, report: PassReport, what: str = ""
) -> None:
    """A row that Slack refused: failed for good when the error says so, else retried after a backoff."""
    message, permanent = slack_error(exc)
    message = what + message
    report.errors.append(f"{row.channel} : {message}")
    with session_scope(engine) as session:
        if permanent:
            outbox.mark_failed(session, row.id or 0, owner, error=message)
            report.failed += 1
        else:
            outbox.mark_retry(session, row.id or 0, owner, error=message, at=moment + backoff(row.attempts))
            report.retried += 1


Plan = tuple[str, list[dict[str, object]] | None, str | None, list[str]]


def _parent_gate(parent: Delivery | None) -> str | None:
    """What a reply or an edit of `parent`, a story's alert, must do: "skip" when that alert will never be in Slack
    (none, failed, skipped), "wait" while it is not there yet, None once it is (sent, with its message's ts)."""
    if parent is None or parent.status in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED):
        return "skip"
    if parent.status != DeliveryStatus.SENT or parent.external_id is None:
        return "wait"
    return None


def _thread_of(session: Session, row: Delivery) -> Delivery | str | None:
    """The alert a reply goes under, once it is in Slack: "wait" until then, None if it never will be."""
    parent = outbox.parent_alert(session, row.story_id, row.channel)
    gate = _parent_gate(parent)
    if gate == "skip":
        return None
    if gate == "wait" or parent is None:
        return "wait"
    return parent


def _plan(session: Session, row: Delivery, settings: DispatchSettings) -> Plan | str | None:
    """What to post for a row: (text, blocks, thread ts, outlets announced), "wait", or None (nothing to say)."""
    if row.kind == outbox.MERGED:
        return _merge_notice(session, row)
    # One alert per story: the story it was merged into has its own in this channel. Only on a first attempt: an
    # earlier one may have posted the message before its process died (`_deliver_one` adopts it then).
    if row.kind == "alert" and row.attempts <= 1 and outbox.superseded(session, row):
        return None
    view = outbox.alert_view(session, row)
    if row.kind == "alert":
        text, blocks = _alert_message(view, settings, view.outlets)
        if lines := state_lines(session, row.item_id, settings.zone):  # acted on before its alert went out
            blocks.append(state_block_of(lines))
        return text, blocks, None, view.outlets
    parent = _thread_of(session, row)
    if not isinstance(parent, Delivery):
        return parent
    new = [
        outlet for outlet in view.outlets if outlet not in outbox.announced_outlets(session, row.story_id, row.channel)
    ]
    if not new:
        return None
    text, blocks = follow_up_message(view.item.id or 0, view.item.title, view.item.url, new)
    return text, blocks, parent.external_id, new


def _merge_notice(session: Session, row: Delivery) -> Plan | str | None:
    """A reply under the alert of a story merged into another, naming the alert its news now goes on under."""
    parent = _thread_of(session, row)
    if not isinstance(parent, Delivery):
        return parent
    view = outbox.merge_view(session, row)
    lead = None if view.lead is None else (view.lead.title, view.lead.url)
    text, blocks = merged_message(lead, view.lead_channel, (view.linking.title, view.linking.url), row.channel)
    return text, blocks, parent.external_id, []


def _alert_message(
    view: outbox.AlertView, settings: DispatchSettings, outlets: list[str] | None
) -> tuple[str, list[dict[str, object]]]:
    """The alert's text and blocks (its buttons included) for its lead item, naming `outlets` (or the story's)."""
    score = view.score
    topics = list(score.topics) if score else []
    if score and score.mentions:
        topics = ["mention", *topics]
    labels = [(key, "On parle de nous" if key == "mention" else settings.topic_labels.get(key, key)) for key in topics]
    content = AlertContent(
        item_id=view.item.id or 0,
        title=view.item.title,
        url=view.item.url,
        summary=view.item.summary,
        outlets=view.outlets if outlets is None else outlets,
        published=view.item.published_at,
        topic_labels=labels,
        why=[score.summary] if score and score.summary else (list(score.why[:4]) if score else []),
        score=score.score if score else 0,
    )
    text, blocks = alert_message(content, settings.zone)
    return text, list(blocks)
