"""Reads and writes of the outbox (alert deliveries) and of the digest runs.

Every state change is a conditional UPDATE on the row's current state, so two
dispatchers (two `watcher run` processes, or `watcher deliver` beside one)
can never both own a row: the loser's UPDATE matches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store import merges
from store.db import dialect_insert, in_chunks
from store.models import (
    Delivery,
    DeliveryStatus,
    DigestRun,
    DigestStory,
    Item,
    Score,
    Source,
    Story,
    Tribune,
    TribuneStatus,
)
from store.queries import pending_delivery
from store.stories import story_outlets

FOLLOWUP_PREFIX = "followup:"
# chat.update of a sent alert, so that it shows the desk's state of its item: one row per message (story, channel),
# armed again by each new action; it reads the state when it goes out, so one pending row covers any number of them.
REFRESH = "refresh"
# A thread reply under the alert of a story merged into another (`store.merges`): its news now goes on in the other's
# thread, which the reply names. One row per absorbed story and channel: a story is absorbed once.
MERGED = "merged"


# --- alerts ----------------------------------------------------------------


def _claimable(now: datetime):  # type: ignore[no-untyped-def]
    """Pending and due, or left « sending » by a dispatcher whose claim expired (it crashed)."""
    return or_(
        and_(
            col(Delivery.status) == DeliveryStatus.PENDING,
            or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now),
        ),
        and_(col(Delivery.status) == DeliveryStatus.SENDING, col(Delivery.claimed_until) < now),
    )


def due_deliveries(session: Session, now: datetime, limit: int = 200, *, kind: str | None = None) -> list[int]:
    """Ids of the rows a dispatcher may claim now (of one `kind` if given), alerts before their follow-ups."""
    query = select(Delivery.id).where(_claimable(now))
    if kind is not None:
        query = query.where(col(Delivery.kind) == kind)
    rows = session.exec(query.order_by(col(Delivery.created_at), col(Delivery.id)).limit(limit)).all()
    return [row for row in rows if row is not None]


def claim_delivery(session: Session, delivery_id: int, owner: str, now: datetime, lease: timedelta) -> Delivery | None:
    """Take the row for one send; None when another dispatcher has it or it is done."""
    result = session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .where(_claimable(now))
        .values(
            status=DeliveryStatus.SENDING,
            claim_owner=owner,
            claimed_until=now + lease,
            attempts=Delivery.attempts + 1,
        )
    )
    if not result.rowcount:
        return None
    row = session.get(Delivery, delivery_id, populate_existing=True)
    return row


def _finish(session: Session, delivery_id: int, owner: str, **values: object) -> bool:
    """Change a row we still own; False if our claim expired and someone else took it."""
    result = session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .where(col(Delivery.status) == DeliveryStatus.SENDING)
        .where(col(Delivery.claim_owner) == owner)
        .values(claimed_until=None, **values)
    )
    return bool(result.rowcount)


def remember_channel_id(session: Session, delivery_id: int, channel_id: str) -> None:
    session.exec(  # type: ignore[call-overload]
        update(Delivery).where(col(Delivery.id) == delivery_id).values(channel_id=channel_id)
    )


def mark_sent(
    session: Session, delivery_id: int, owner: str, *, external_id: str, outlets: list[str], now: datetime
) -> bool:
    return _finish(
        session,
        delivery_id,
        owner,
        status=DeliveryStatus.SENT,
        external_id=external_id,
        outlets=outlets,
        sent_at=now,
        last_error=None,
    )


def mark_skipped(session: Session, delivery_id: int, owner: str, now: datetime) -> bool:
    return _finish(session, delivery_id, owner, status=DeliveryStatus.SKIPPED, sent_at=now)


def mark_retry(session: Session, delivery_id: int, owner: str, *, error: str, at: datetime) -> bool:
    return _finish(session, delivery_id, owner, status=DeliveryStatus.PENDING, last_error=error, next_attempt_at=at)


def mark_failed(session: Session, delivery_id: int, owner: str, *, error: str) -> bool:
    return _finish(session, delivery_id, owner, status=DeliveryStatus.FAILED, last_error=error)


@dataclass(frozen=True)
class AlertView:
    """What an alert message shows: the lead item, its judgement and the story's outlets so far."""

    delivery: Delivery
    item: Item
    score: Score | None
    source: Source
    story: Story
    outlets: list[str]


def alert_view(session: Session, delivery: Delivery) -> AlertView:
    item = session.get(Item, delivery.item_id)
    story = session.get(Story, delivery.story_id)
    if item is None or story is None:
        raise LookupError(f"delivery {delivery.id} points at a missing item or story")
    source = session.get(Source, item.source_id)
    assert source is not None
    # A story merged since its alert was planned has given its items to another: the outlets are that one's.
    holder = (story.id or 0) if story.merged_into_id is None else merges.holder(session, story.merged_into_id)
    return AlertView(delivery, item, session.get(Score, item.id), source, story, story_outlets(session, holder))


def parent_alert(session: Session, story_id: int, channel: str) -> Delivery | None:
    return session.exec(
        select(Delivery).where(
            col(Delivery.story_id) == story_id, col(Delivery.channel) == channel, col(Delivery.kind) == "alert"
        )
    ).first()


def announced_outlets(session: Session, story_id: int, channel: str) -> set[str]:
    """Outlets already shown in this channel for this story (by the alert and earlier follow-ups)."""
    rows = session.exec(
        select(Delivery.outlets).where(
            col(Delivery.story_id) == story_id,
            col(Delivery.channel) == channel,
            col(Delivery.status) == DeliveryStatus.SENT,
        )
    ).all()
    return {outlet for outlets in rows for outlet in (outlets or [])}


def followup_kind(moment: datetime, interval: timedelta) -> tuple[str, datetime]:
    """The follow-up slot of `moment`: one reply per story and channel per interval, sent at its end."""
    seconds = int(interval.total_seconds())
    start = int(moment.timestamp()) // seconds * seconds
    slot = datetime.fromtimestamp(start, tz=moment.tzinfo)
    return f"{FOLLOWUP_PREFIX}{slot.isoformat(timespec='minutes')}", slot + interval


def alerted_stories_since(session: Session, since: datetime) -> int:
    """How many stories got an alert planned since `since`: what the daily alert budget counts."""
    return session.exec(
        select(func.count(func.distinct(Delivery.story_id))).where(
            col(Delivery.kind) == "alert", col(Delivery.created_at) >= since
        )
    ).one()


def alert_channels(session: Session, story_ids: Iterable[int]) -> dict[int, list[str]]:
    """The channels each story's alert went or goes to (a failed alert has no thread to reply in)."""
    channels: dict[int, list[str]] = {}
    for chunk in in_chunks(sorted(set(story_ids))):
        rows = session.exec(
            select(Delivery.story_id, Delivery.channel)
            .where(
                col(Delivery.story_id).in_(chunk),
                col(Delivery.kind) == "alert",
                col(Delivery.status) != DeliveryStatus.FAILED,
            )
            .order_by(col(Delivery.id))
        ).all()
        for story_id, channel in rows:
            channels.setdefault(story_id, []).append(channel)
    return channels


def enqueue_followups(
    session: Session, *, story_id: int, item_id: int, channels: Iterable[str], now: datetime, interval: timedelta
) -> int:
    """A new item joined a story: plan a thread reply under its alert in each of `channels` (coalesced per slot)."""
    kind, send_at = followup_kind(now, interval)
    written = 0
    for channel in channels:
        statement = pending_delivery(session, story_id, item_id, channel, kind, now, send_at)
        written += session.exec(statement).rowcount  # type: ignore[call-overload]
    return written


def enqueue_merge_notices(session: Session, *, absorbed: int, item_id: int, now: datetime) -> None:
    """`absorbed` was merged into another story by `item_id`: a reply under each of its alerts says where to follow."""
    for channel in alert_channels(session, [absorbed]).get(absorbed, []):
        session.exec(pending_delivery(session, absorbed, item_id, channel, MERGED, now))  # type: ignore[call-overload]


def rehome_follow_ups(session: Session, *, absorbed: int, into: int) -> None:
    """The thread replies `absorbed` has yet to send go under `into`'s alert in the channels where it has one: that is
    where the merge notice sends readers, and where the outlets already announced are counted. Where `into` already
    has its reply of the same interval, the absorbed one's is dropped: the outlets it would name are `into`'s now, and
    that reply (or, once its interval is over, the one the linking item plans) names those not yet announced."""
    channels = set(alert_channels(session, [into]).get(into, []))
    if not channels:
        return  # no thread to go on in: the absorbed story's replies stay under its own alerts
    waiting = session.exec(
        select(Delivery).where(
            col(Delivery.story_id) == absorbed,
            col(Delivery.status) == DeliveryStatus.PENDING,
            col(Delivery.kind).startswith(FOLLOWUP_PREFIX),
            col(Delivery.channel).in_(channels),
        )
    ).all()
    if not waiting:
        return
    taken = set(session.exec(select(Delivery.channel, Delivery.kind).where(col(Delivery.story_id) == into)).all())
    for row in waiting:
        if (row.channel, row.kind) in taken:
            session.delete(row)
        else:
            row.story_id = into
    session.flush()


def superseded(session: Session, delivery: Delivery) -> bool:
    """An alert whose story was merged into one alerted in the same channel: the event has its alert there."""
    story = session.get(Story, delivery.story_id)  # the alert's view reads it next: loaded once
    if story is None or story.merged_into_id is None:
        return False
    alert = parent_alert(session, merges.holder(session, story.merged_into_id), delivery.channel)
    return alert is not None and alert.status not in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)


@dataclass(frozen=True)
class MergeView:
    """What a merge notice shows: the item that linked the two stories, and the alert the news goes on under."""

    linking: Item
    lead: Item | None  # the item of that alert: in the notice's channel if the story has one there, else any
    lead_channel: str | None


def merge_view(session: Session, delivery: Delivery) -> MergeView:
    linking = session.get(Item, delivery.item_id)
    if linking is None:
        raise LookupError(f"delivery {delivery.id} points at a missing item")
    holder = merges.holder(session, delivery.story_id)
    alerts = session.exec(
        select(Delivery).where(
            col(Delivery.story_id) == holder,
            col(Delivery.kind) == "alert",
            col(Delivery.status).not_in((DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)),
        )
    ).all()
    alerts = sorted(alerts, key=lambda alert: (alert.channel != delivery.channel, alert.id or 0))
    if not alerts:
        return MergeView(linking, None, None)
    return MergeView(linking, session.get(Item, alerts[0].item_id), alerts[0].channel)


def enqueue_refresh(session: Session, *, item_id: int, now: datetime) -> int:
    """An action on `item_id` at `now`: plan an update of every alert message showing it; how many were planned.

    Only alerts that may be in Slack count (an attempt was made, and it did not fail for good): an alert still
    waiting for its first attempt will show the state when it is posted, and no message means nothing to update.
    A refresh row already pending is left as it is; a finished one is armed again; one being sent is armed to go
    once its sender's claim ends, since that sender may have read the state before this action.
    """
    alerts = session.exec(
        select(Delivery.story_id, Delivery.channel).where(
            col(Delivery.item_id) == item_id,
            col(Delivery.kind) == "alert",
            col(Delivery.attempts) > 0,
            col(Delivery.status).not_in([DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]),
        )
    ).all()
    for story_id, channel in alerts:
        created = session.exec(  # type: ignore[call-overload]
            pending_delivery(session, story_id, item_id, channel, REFRESH, now).returning(col(Delivery.id))
        ).first()
        if created is not None:
            continue
        session.exec(  # type: ignore[call-overload]
            update(Delivery)
            .where(
                col(Delivery.story_id) == story_id,
                col(Delivery.channel) == channel,
                col(Delivery.kind) == REFRESH,
                col(Delivery.status) != DeliveryStatus.PENDING,
            )
            .values(
                status=DeliveryStatus.PENDING,
                attempts=0,
                created_at=now,
                sent_at=None,
                last_error=None,
                next_attempt_at=case(
                    (col(Delivery.status) == DeliveryStatus.SENDING, col(Delivery.claimed_until)), else_=None
                ),
            )
        )
    return len(alerts)


def deliveries(session: Session) -> list[Delivery]:
    return list(session.exec(select(Delivery).order_by(col(Delivery.id))).all())


# --- digests ---------------------------------------------------------------


def claim_digest_run(
    session: Session, *, day: date, kind: str, channel: str, owner: str, now: datetime, lease: timedelta
) -> DigestRun | None:
    """Own the (day, kind, channel) digest, or None when it is sent or being sent by a live process.

    The unique key decides between two processes starting together; a run left
    « sending » by a crashed process is taken over once its claim expires.
    """
    run = DigestRun(day=day, kind=kind, channel=channel, owner=owner, claimed_until=now + lease, created_at=now)
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
        return run
    except IntegrityError:
        pass
    result = session.exec(  # type: ignore[call-overload]
        update(DigestRun)
        .where(col(DigestRun.day) == day, col(DigestRun.kind) == kind, col(DigestRun.channel) == channel)
        .where(col(DigestRun.status) == DeliveryStatus.SENDING, col(DigestRun.claimed_until) < now)
        .values(owner=owner, claimed_until=now + lease)
    )
    if not result.rowcount:
        return None
    return find_digest_run(session, day=day, kind=kind, channel=channel)


def find_digest_run(session: Session, *, day: date, kind: str, channel: str) -> DigestRun | None:
    return session.exec(
        select(DigestRun).where(
            col(DigestRun.day) == day, col(DigestRun.kind) == kind, col(DigestRun.channel) == channel
        )
    ).first()


def digest_progress(
    session: Session, run_id: int, owner: str, *, parts_sent: int, external_id: str | None, channel_id: str | None
) -> bool:
    result = session.exec(  # type: ignore[call-overload]
        update(DigestRun)
        .where(col(DigestRun.id) == run_id, col(DigestRun.owner) == owner)
        .values(parts_sent=parts_sent, external_id=external_id, channel_id=channel_id)
    )
    return bool(result.rowcount)


def finish_digest_run(
    session: Session,
    run_id: int,
    owner: str,
    *,
    status: str,
    now: datetime,
    story_count: int,
    error: str | None,
    release: bool = False,
) -> None:
    """Record the end of a run; `release` lets another attempt take it over at once (after an error)."""
    extra = {"claimed_until": now} if release else {}
    session.exec(  # type: ignore[call-overload]
        update(DigestRun)
        .where(col(DigestRun.id) == run_id, col(DigestRun.owner) == owner)
        .values(
            **extra,
            status=status,
            sent_at=now if status == DeliveryStatus.SENT else None,
            story_count=story_count,
            last_error=error,
        )
    )


def digest_runs(session: Session) -> list[DigestRun]:
    return list(session.exec(select(DigestRun).order_by(col(DigestRun.id))).all())


def record_digest_stories(session: Session, day: date, story_ids: Iterable[int]) -> None:
    insert = dialect_insert(session)
    for story_id in set(story_ids):
        session.exec(insert(DigestStory).values(day=day, story_id=story_id).on_conflict_do_nothing())  # type: ignore[call-overload]


def stories_in_earlier_digests(session: Session, story_ids: Iterable[int], before: date) -> set[int]:
    """The stories among `story_ids` that an earlier digest showed, themselves or a story since merged into them."""
    wanted = set(story_ids)
    if not wanted:
        return set()
    absorbed = merges.absorbed_into(session, wanted)
    rows = session.exec(
        select(DigestStory.story_id).where(
            col(DigestStory.story_id).in_(sorted(wanted | absorbed.keys())), col(DigestStory.day) < before
        )
    ).all()
    return {absorbed.get(story, story) for story in rows}


@dataclass(frozen=True)
class FlaggedItem:
    tribune: Tribune
    item: Item
    source: Source


def open_tribunes(session: Session) -> list[FlaggedItem]:
    """Items flagged for an op-ed that nobody has published or dropped yet, oldest flag first."""
    rows = session.exec(
        select(Tribune, Item, Source)
        .join(Item, col(Item.id) == col(Tribune.item_id))
        .join(Source, col(Source.id) == col(Item.source_id))
        .where(col(Tribune.status).in_([TribuneStatus.A_ETUDIER, TribuneStatus.EN_REDACTION]))
        .order_by(col(Tribune.flagged_at))
    ).all()
    return [FlaggedItem(*row) for row in rows]
