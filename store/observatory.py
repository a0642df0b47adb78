"""The rows of the Observatoire des pertes de chances: the items of its theme, their verdicts and corrections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from store.db import in_chunks
from store.models import Item, ObservatoryCorrection, Score, Source, Verdict, VerdictValue


@dataclass(frozen=True)
class ThemeRow:
    item: Item
    source: Source
    score: Score | None
    verdict: str | None  # the latest verdict on the item for the theme, whoever gave it
    correction: ObservatoryCorrection | None


def _of_theme(topic: str) -> Select[tuple[Item, Source, Score]]:
    """Items that the rules put in `topic` or a person judged pertinent for it, with their source and score."""
    judged_pertinent = select(Verdict.item_id).where(
        col(Verdict.topic) == topic, col(Verdict.verdict) == VerdictValue.PERTINENT
    )
    # Topics are a JSON list: its text holds the quoted name on both backends.
    in_topic = cast(Score.topics, String).like(f'%"{topic}"%')
    return (
        select(Item, Source, Score)
        .join(Source, col(Source.id) == col(Item.source_id))
        .join(Score, col(Score.item_id) == col(Item.id), isouter=True)
        .where(or_(in_topic, col(Item.id).in_(judged_pertinent)))
    )


def theme_rows(session: Session, topic: str, start: datetime, end: datetime) -> list[ThemeRow]:
    """Items published in [start, end) that the rules put in `topic` or a person judged pertinent for it, oldest
    first, with their latest verdict for `topic` and their correction."""
    rows = session.exec(
        _of_theme(topic)
        .where(col(Item.published_at) >= start, col(Item.published_at) < end)
        .order_by(col(Item.published_at), col(Item.id))
    ).all()
    return _with_verdicts(session, topic, rows)


def theme_row(session: Session, topic: str, item_id: int) -> ThemeRow | None:
    """The item as `theme_rows` gives it, or None when it is not of `topic`."""
    rows = session.exec(_of_theme(topic).where(col(Item.id) == item_id)).all()
    return next(iter(_with_verdicts(session, topic, rows)), None)


def _with_verdicts(session: Session, topic: str, rows: Sequence[tuple[Item, Source, Score | None]]) -> list[ThemeRow]:
    ids = [item.id for item, _, _ in rows if item.id is not None]
    latest = _latest_verdicts(session, topic, ids)
    corrections = {
        correction.item_id: correction
        for chunk in in_chunks(ids)
        for correction in session.exec(
            select(ObservatoryCorrection).where(col(ObservatoryCorrection.item_id).in_(chunk))
        )
    }
    return [
        ThemeRow(item, source, score, latest.get(item.id or 0), corrections.get(item.id or 0))
        for item, source, score in rows
    ]


def _latest_verdicts(session: Session, topic: str, ids: Sequence[int]) -> dict[int, str]:
    latest: dict[int, tuple[datetime, int, str]] = {}
    for chunk in in_chunks(ids):
        for verdict in session.exec(
            select(Verdict).where(col(Verdict.topic) == topic, col(Verdict.item_id).in_(chunk))
        ).all():
            key = (verdict.created_at, verdict.id or 0, verdict.verdict)
            if verdict.item_id not in latest or key > latest[verdict.item_id]:
                latest[verdict.item_id] = key
    return {item_id: key[2] for item_id, key in latest.items()}


def correction_for(session: Session, item_id: int) -> ObservatoryCorrection | None:
    return session.get(ObservatoryCorrection, item_id)


def save_correction(session: Session, correction: ObservatoryCorrection) -> None:
    session.add(correction)
    session.flush()
