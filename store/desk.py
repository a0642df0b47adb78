"""The coordinator's desk: Slack clicks, the tribune list and the « On parle de nous » register.

Every action here that changes what an alert shows under its item (a flag, a tribune's status or note, a register
decision) also plans, in the same transaction, the update of that alert in Slack (`outbox.enqueue_refresh`):
whichever door the action came through (Slack, the web desk, the CLI), the message follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import extract, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store import outbox
from store.db import dialect_insert
from store.models import (
    DeskClick,
    Item,
    MentionStatus,
    PressMention,
    Score,
    Source,
    Tribune,
    TribuneStatus,
    Verdict,
)

# --- clicks ----------------------------------------------------------------


def record_click(session: Session, *, key: str, item_id: int, action: str, who: str, now: datetime) -> bool:
    """Keep a click, made at `now`, once; False when this very click (same key) was already stored."""
    statement = (
        dialect_insert(session)(DeskClick)
        .values(key=key, item_id=item_id, action=action, who=who, clicked_at=now)
        .on_conflict_do_nothing()
        .returning(col(DeskClick.id))
    )
    # RETURNING, not rowcount: through the ORM session psycopg reports rowcount -1 for this statement.
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


# --- items -----------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    item: Item
    source: Source
    score: Score | None


def item_view(session: Session, item_id: int) -> ItemView | None:
    row = session.exec(
        select(Item, Source, Score)
        .join(Source, col(Source.id) == col(Item.source_id))
        .join(Score, col(Score.item_id) == col(Item.id), isouter=True)
        .where(col(Item.id) == item_id)
    ).first()
    return ItemView(*row) if row else None


def items_published(session: Session, start: datetime | None, end: datetime | None) -> list[ItemView]:
    """Items published in [start, end), oldest first, for exports."""
    query = (
        select(Item, Source, Score)
        .join(Source, col(Source.id) == col(Item.source_id))
        .join(Score, col(Score.item_id) == col(Item.id), isouter=True)
        .order_by(col(Item.published_at), col(Item.id))
    )
    if start is not None:
        query = query.where(col(Item.published_at) >= start)
    if end is not None:
        query = query.where(col(Item.published_at) < end)
    return [ItemView(*row) for row in session.exec(query).all()]


def verdicts_of(session: Session, item_id: int) -> list[Verdict]:
    return list(
        session.exec(select(Verdict).where(col(Verdict.item_id) == item_id).order_by(col(Verdict.created_at))).all()
    )


# --- tribunes --------------------------------------------------------------


def flag_tribune(
    session: Session, *, item_id: int, who: str, now: datetime, note: str | None = None
) -> tuple[Tribune, bool]:
    """Flag an item for an op-ed at `now`; a second flag keeps the first (and its author). True when created."""
    tribune = session.exec(select(Tribune).where(col(Tribune.item_id) == item_id)).first()
    if tribune is not None:
        if note and note != tribune.note:
            tribune.note = note
            tribune.updated_at, tribune.updated_by = now, who
            session.flush()
            outbox.enqueue_refresh(session, item_id=item_id, now=now)
        return tribune, False
    statement = (
        dialect_insert(session)(Tribune)
        .values(item_id=item_id, note=note, status=TribuneStatus.A_ETUDIER, flagged_by=who, flagged_at=now)
        .on_conflict_do_nothing()
        .returning(col(Tribune.id))
    )
    created = session.exec(statement).first() is not None  # type: ignore[call-overload]
    tribune = session.exec(select(Tribune).where(col(Tribune.item_id) == item_id)).one()
    if created:
        outbox.enqueue_refresh(session, item_id=item_id, now=now)
    return tribune, created


def tribune_for(session: Session, item_id: int) -> Tribune | None:
    return session.exec(select(Tribune).where(col(Tribune.item_id) == item_id)).first()


@dataclass(frozen=True)
class Flagged:
    """What a list of tribunes shows of the flagged item: the whole item (its text, its signature) is not read."""

    id: int
    title: str


def tribunes(
    session: Session,
    status: str | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
    latest_first: bool = False,
) -> list[tuple[Tribune, Flagged]]:
    """By deadline, the nearest first (those without one last); or the latest flagged first."""
    order = (
        [col(Tribune.flagged_at).desc(), col(Tribune.id).desc()]
        if latest_first
        else [col(Tribune.deadline).is_(None), col(Tribune.deadline), col(Tribune.flagged_at)]
    )
    query = (
        select(Tribune, Item.id, Item.title)
        .join(Item, col(Item.id) == col(Tribune.item_id))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        query = query.where(col(Tribune.status) == status)
    return [(tribune, Flagged(item_id or 0, title)) for tribune, item_id, title in session.exec(query).all()]


def tribune_counts(session: Session) -> dict[str, int]:
    """How many tribunes have each status."""
    rows = session.exec(select(Tribune.status, func.count()).group_by(col(Tribune.status))).all()
    return {status: count for status, count in rows}


def update_tribune(
    session: Session,
    tribune: Tribune,
    *,
    who: str,
    now: datetime,
    status: str | None = None,
    outlet: str | None = None,
    deadline: date | None = None,
    published_url: str | None = None,
    note: str | None = None,
) -> Tribune:
    changes = {
        name: value
        for name, value in (
            ("status", status),
            ("outlet", outlet),
            ("deadline", deadline),
            ("published_url", published_url),
            ("note", note),
        )
        if value is not None and value != getattr(tribune, name)
    }
    if not changes:
        return tribune  # a form sent again as it was: nobody changed the tribune
    for name, value in changes.items():
        setattr(tribune, name, value)
    tribune.updated_at, tribune.updated_by = now, who
    session.flush()
    # The alert's state line says who changed the tribune last, whatever they changed.
    outbox.enqueue_refresh(session, item_id=tribune.item_id, now=now)
    return tribune


# --- the press register ----------------------------------------------------


def mention_for_item(session: Session, item_id: int) -> PressMention | None:
    return session.exec(select(PressMention).where(col(PressMention.item_id) == item_id)).first()


def add_mention(session: Session, mention: PressMention) -> tuple[PressMention, bool]:
    """Add an entry; an item, a tribune or an imported line is registered once. True when created."""
    if mention.item_id is not None:
        key = col(PressMention.item_id) == mention.item_id
    elif mention.tribune_id is not None:
        key = col(PressMention.tribune_id) == mention.tribune_id
    elif mention.import_key is not None:
        key = col(PressMention.import_key) == mention.import_key
    else:  # entered by hand: nothing to deduplicate on
        session.add(mention)
        session.flush()
        return mention, True
    existing = session.exec(select(PressMention).where(key)).first()
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(mention)
            session.flush()
    except IntegrityError:  # a concurrent writer registered it between the check and the insert
        return session.exec(select(PressMention).where(key)).one(), False
    return mention, True


def mentions_us(session: Session, view: ItemView, who: str, zone: ZoneInfo, *, now: datetime) -> bool:
    """« On parle de nous » on an item: its entry is validated, or the item enters the register validated.

    The Slack button and the web desk both call this; True when something changed.
    """
    item = view.item
    existing = mention_for_item(session, item.id or 0)
    if existing is not None:
        return set_mention_status(session, existing, MentionStatus.VALIDEE, who, now=now)
    mention = PressMention(
        item_id=item.id,
        day=item.published_at.astimezone(zone).date(),
        outlet=item.publisher or view.source.name,
        title=item.title,
        url=item.url,
        medium="web",
        status=MentionStatus.VALIDEE,
        origin="manuel",
        created_at=now,
        decided_by=who,
        decided_at=now,
    )
    created = add_mention(session, mention)[1]
    if created:
        outbox.enqueue_refresh(session, item_id=item.id or 0, now=now)
    return created


def mentions_with_url(session: Session, urls: Sequence[str]) -> list[PressMention]:
    return list(session.exec(select(PressMention).where(col(PressMention.url).in_(urls))).all())


def mentions_on(session: Session, day: date, precision: str) -> list[PressMention]:
    """The entries dated `day` with that precision (a month-only entry is dated the 1st of its month)."""
    return list(
        session.exec(
            select(PressMention).where(col(PressMention.day) == day, col(PressMention.date_precision) == precision)
        ).all()
    )


def set_mention_status(session: Session, mention: PressMention, status: str, who: str, *, now: datetime) -> bool:
    """Validate or reject, at `now`; True when the status changed."""
    if mention.status == status:
        return False
    mention.status = status
    mention.decided_by = who
    mention.decided_at = now
    session.flush()
    if mention.item_id is not None:
        outbox.enqueue_refresh(session, item_id=mention.item_id, now=now)
    return True


def get_mention(session: Session, mention_id: int) -> PressMention | None:
    return session.get(PressMention, mention_id)


def mentions(
    session: Session, *, status: str | None = None, year: int | None = None, limit: int | None = None
) -> list[PressMention]:
    query = select(PressMention).order_by(col(PressMention.day), col(PressMention.id)).limit(limit)
    if status is not None:
        query = query.where(col(PressMention.status) == status)
    if year is not None:
        query = query.where(extract("year", col(PressMention.day)) == year)
    return list(session.exec(query).all())


def decided_mentions(session: Session, start: date, end: date) -> list[PressMention]:
    """The entries dated in [start, end) that are validated or rejected, by date."""
    return list(
        session.exec(
            select(PressMention)
            .where(col(PressMention.day) >= start, col(PressMention.day) < end)
            .where(col(PressMention.status) != MentionStatus.A_VALIDER)
            .order_by(col(PressMention.day), col(PressMention.id))
        ).all()
    )


def decided_per_month(session: Session, year: int) -> dict[int, int]:
    """How many entries of each month of `year` are validated or rejected: the year's days through the index on
    `day`, never the entries themselves."""
    month = extract("month", col(PressMention.day))
    rows = session.exec(
        select(month, func.count())
        .where(col(PressMention.day) >= date(year, 1, 1), col(PressMention.day) < date(year + 1, 1, 1))
        .where(col(PressMention.status) != MentionStatus.A_VALIDER)
        .group_by(month)
    ).all()
    return {int(number): count for number, count in rows}


def count_mentions(session: Session, status: str) -> int:
    return session.exec(select(func.count()).select_from(PressMention).where(col(PressMention.status) == status)).one()


def register_statuses(include_pending: bool) -> list[str]:
    """What goes into the annual report: validated entries, and those awaiting review if asked."""
    return [MentionStatus.VALIDEE, MentionStatus.A_VALIDER] if include_pending else [MentionStatus.VALIDEE]
