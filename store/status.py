"""What `watcher status` and the ops alerts read: cycles, failing sources, recent items, the outbox, digests.

Reads only: a status taken every few minutes by a health check must not change the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from store import cycles
from store.models import CycleRun, Delivery, DeliveryStatus, DigestRun, Item, Score, Source

RECENT = timedelta(hours=24)


@dataclass(frozen=True)
class WaitingDelivery:
    created_at: datetime
    next_attempt_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class StatusSnapshot:
    now: datetime
    last_cycle: CycleRun | None
    running: list[CycleRun]  # started after the last finished one and not finished: running, or died
    active_sources: int
    failing: list[Source]  # collected, and failing at the moment
    disabled: list[Source]  # the site said the feed is gone (HTTP 410)
    overdue: int  # active sources due for more than `late` (the argument of `read_status`), leased or not
    items_24h: dict[str, int] = field(default_factory=dict)  # decision -> items collected in the last 24 h
    waiting: list[WaitingDelivery] = field(default_factory=list)  # alerts not sent yet
    failed_deliveries: int = 0
    last_digest: DigestRun | None = None  # the last digest sent, on any channel
    failed_digests: int = 0


def _active():  # type: ignore[no-untyped-def]
    return col(Source.enabled) & col(Source.disabled_reason).is_(None)


def read_status(session: Session, now: datetime, late: timedelta) -> StatusSnapshot:
    last = cycles.last_finished(session, now)
    running = cycles.unfinished_since(session, last.started_at if last else None, now)
    active = session.exec(select(func.count()).select_from(Source).where(_active())).one()
    failing = session.exec(
        select(Source).where(_active()).where(col(Source.consecutive_errors) > 0).order_by(col(Source.name))
    ).all()
    disabled = session.exec(
        select(Source).where(col(Source.enabled)).where(col(Source.disabled_reason).is_not(None)).order_by(Source.name)
    ).all()
    overdue = session.exec(
        select(func.count()).select_from(Source).where(_active()).where(col(Source.next_check_at) <= now - late)
    ).one()
    decisions = session.exec(
        select(Score.decision, func.count())
        .join(Item, col(Item.id) == col(Score.item_id))
        .where(col(Item.collected_at) > now - RECENT)
        .where(col(Item.collected_at) <= now)
        .group_by(col(Score.decision))
    ).all()
    unscored = session.exec(
        select(func.count())
        .select_from(Item)
        .outerjoin(Score, col(Score.item_id) == col(Item.id))
        .where(col(Item.collected_at) > now - RECENT)
        .where(col(Item.collected_at) <= now)
        .where(col(Score.item_id).is_(None))
    ).one()
    items = {str(decision): int(count) for decision, count in decisions}
    if unscored:
        items["unscored"] = int(unscored)
    waiting = session.exec(
        select(Delivery.created_at, Delivery.next_attempt_at, Delivery.attempts)
        .where(col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]))
        .where(col(Delivery.created_at) <= now)
        .order_by(col(Delivery.created_at))
    ).all()
    failed = session.exec(
        select(func.count()).select_from(Delivery).where(col(Delivery.status) == DeliveryStatus.FAILED)
    ).one()
    last_digest = session.exec(
        select(DigestRun)
        .where(col(DigestRun.status) == DeliveryStatus.SENT)
        .where(col(DigestRun.sent_at) <= now)
        .order_by(col(DigestRun.sent_at).desc())
        .limit(1)
    ).first()
    failed_digests = session.exec(
        select(func.count()).select_from(DigestRun).where(col(DigestRun.status) == DeliveryStatus.FAILED)
    ).one()
    return StatusSnapshot(
        now=now,
        last_cycle=last,
        running=running,
        active_sources=int(active),
        failing=list(failing),
        disabled=list(disabled),
        overdue=int(overdue),
        items_24h=items,
        waiting=[WaitingDelivery(created, next_at, attempts) for created, next_at, attempts in waiting],
        failed_deliveries=int(failed),
        last_digest=last_digest,
        failed_digests=int(failed_digests),
    )
