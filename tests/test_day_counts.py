"""The day counts the desk reads (migration 0019) follow the items and scores in the transaction that writes them:
stored, re-judged, moved, deleted, and filled from the rows already stored when the migration runs."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from store.db import _alembic_config, session_scope, upgrade
from store.models import Item, ReasonDay, Score, ScoredDay, Source, SourceDay
from store.queries import save_scores

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
URGENCES = "hopital : « urgences » +45"
EHPAD = "hopital : « EHPAD » -30"
GREVE = "greve : « grève » +40"


def _source(session: Session, name: str) -> int:
    source = Source(name=name, kind="rss", url=f"https://{name.lower()}.test/", interval_seconds=1800)
    session.add(source)
    session.flush()
    return source.id or 0


def _item(session: Session, source_id: int, n: int, published: datetime, collected: datetime) -> int:
    item = Item(
        source_id=source_id,
        guid=f"g{n}",
        url=f"https://s.test/{n}",
        title=f"Titre {n}",
        published_at=published,
        collected_at=collected,
        title_date_key=f"k{n}",
        content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
    )
    session.add(item)
    session.flush()
    return item.id or 0


def _judge(session: Session, *judgements: tuple[int, list[str]]) -> None:
    """As a collection batch writes them: a judgement of an item already scored replaces it."""
    save_scores(
        session,
        [
            {
                "item_id": item_id,
                "score": 50,
                "decision": "digest",
                "topics": ["hopital"],
                "why": why,
                "mentions": [],
                "member_mentions": [],
                "scored_at": NOW,
                "summary": "",
            }
            for item_id, why in judgements
        ],
    )


def _stored(session: Session) -> tuple[dict, dict, dict]:
    sources = {
        (row.source_id, row.day): (row.items, row.first_at, row.last_at) for row in session.exec(select(SourceDay))
    }
    scored = {row.day: row.items for row in session.exec(select(ScoredDay))}
    reasons = {(row.day, row.reason): row.hits for row in session.exec(select(ReasonDay))}
    return sources, scored, reasons


def _recounted(session: Session) -> tuple[dict, dict, dict]:
    """The same counts, made again from the items and scores."""
    times: dict[tuple[int, date], list[datetime]] = {}
    for item in session.exec(select(Item)):
        when = min(item.published_at, item.collected_at)
        times.setdefault((item.source_id, when.date()), []).append(when)
    scored: Counter[date] = Counter()
    reasons: Counter[tuple[date, str]] = Counter()
    for score, item in session.exec(select(Score, Item).join(Item, col(Item.id) == col(Score.item_id))):
        scored[item.collected_at.date()] += 1
        reasons.update((item.collected_at.date(), reason) for reason in score.why)
    sources = {key: (len(whens), min(whens), max(whens)) for key, whens in times.items()}
    return sources, dict(scored), dict(reasons)


def test_counts_follow_items_and_scores_as_they_are_stored_judged_again_moved_and_deleted(engine: Engine) -> None:
    yesterday = NOW - timedelta(days=1)
    before_midnight = NOW.replace(hour=0) - timedelta(minutes=5)
    with session_scope(engine) as session:
        monde, figaro = _source(session, "Monde"), _source(session, "Figaro")
        first = _item(session, monde, 1, NOW - timedelta(hours=2), NOW)
        second = _item(session, monde, 2, NOW - timedelta(hours=5), NOW)
        # Published before midnight, collected after it: counted on the day it was published.
        third = _item(session, monde, 3, before_midnight, NOW)
        # A date in the future counts as the collection time.
        fourth = _item(session, figaro, 4, NOW + timedelta(days=3), yesterday)
        _judge(session, (first, [URGENCES, EHPAD]), (second, [URGENCES]), (fourth, [GREVE, GREVE]))
    with session_scope(engine) as session:
        sources, scored, reasons = _stored(session)
        assert sources == {
            (monde, NOW.date()): (2, NOW - timedelta(hours=5), NOW - timedelta(hours=2)),
            (monde, before_midnight.date()): (1, before_midnight, before_midnight),
            (figaro, yesterday.date()): (1, yesterday, yesterday),
        }
        assert scored == {NOW.date(): 2, yesterday.date(): 1}
        assert reasons == {(NOW.date(), URGENCES): 2, (NOW.date(), EHPAD): 1, (yesterday.date(), GREVE): 2}
        assert _stored(session) == _recounted(session)

    # Judged again (a changed article, or the rules changed): its old reasons are taken back.
    with session_scope(engine) as session:
        _judge(session, (first, [URGENCES]), (third, [EHPAD]))
    with session_scope(engine) as session:
        _, scored, reasons = _stored(session)
        assert scored == {NOW.date(): 3, yesterday.date(): 1}
        assert reasons == {(NOW.date(), URGENCES): 2, (NOW.date(), EHPAD): 1, (yesterday.date(), GREVE): 2}
        assert _stored(session) == _recounted(session)

    # Moved to another day and another source (a repair), then deleted: the counts follow, emptied days go.
    with session_scope(engine) as session:
        session.exec(update(Item).where(col(Item.id) == first).values(collected_at=yesterday, source_id=figaro))
    with session_scope(engine) as session:
        assert _stored(session) == _recounted(session)
        assert _stored(session)[2][(yesterday.date(), URGENCES)] == 1
    with session_scope(engine) as session:
        session.exec(delete(Score).where(col(Score.item_id) == fourth))
        session.exec(delete(Item).where(col(Item.id) == fourth))
    with session_scope(engine) as session:
        sources, scored, reasons = _stored(session)
        assert _stored(session) == _recounted(session)
        assert (yesterday.date(), GREVE) not in reasons and (figaro, yesterday.date()) in sources


def test_the_migration_fills_the_counts_from_the_rows_already_stored(engine: Engine) -> None:
    config = _alembic_config(engine)
    command.downgrade(config, "0018")
    with session_scope(engine) as session:
        monde = _source(session, "Monde")
        for n in range(12):
            collected = NOW - timedelta(hours=7 * n)
            item_id = _item(session, monde, n, collected - timedelta(minutes=30), collected)
            _judge(session, (item_id, [URGENCES] if n % 3 else [URGENCES, GREVE]))
    upgrade(engine)
    with session_scope(engine) as session:
        sources, scored, reasons = _stored(session)
        assert sum(items for items, _, _ in sources.values()) == 12 and sum(scored.values()) == 12
        assert sum(hits for (_, reason), hits in reasons.items() if reason == GREVE) == 4
        assert (sources, scored, reasons) == _recounted(session)


def test_a_score_written_visits_only_its_own_reasons_of_the_day(engine: Engine) -> None:
    """Migration 0020: a score's triggers delete the emptied rows among its own reasons, found by key. 0019 deleted
    every emptied reason of the day, reading all the day's reasons (thousands) for each score written; a row left at
    zero by hand, which a trigger could never leave, shows which rows a write visits."""
    stray = "hopital : « hôpital » +5"
    with session_scope(engine) as session:
        monde = _source(session, "Monde")
        first, second = _item(session, monde, 1, NOW, NOW), _item(session, monde, 2, NOW, NOW)
        session.add(ReasonDay(day=NOW.date(), reason=stray, hits=0))
        session.flush()
        _judge(session, (first, [URGENCES]))
        _judge(session, (first, [GREVE]), (second, [EHPAD]))  # judged again: URGENCES taken back, and deleted
    with session_scope(engine) as session:
        _, scored, reasons = _stored(session)
    assert scored == {NOW.date(): 2}
    assert reasons == {(NOW.date(), stray): 0, (NOW.date(), GREVE): 1, (NOW.date(), EHPAD): 1}


def test_migration_0020_goes_back_to_the_triggers_of_0019(engine: Engine) -> None:
    config = _alembic_config(engine)
    command.downgrade(config, "0019")
    with session_scope(engine) as session:
        _judge_two_days(session)
        assert _stored(session) == _recounted(session)
    upgrade(engine)
    with session_scope(engine) as session:
        _judge_two_days(session, offset=10)
        assert _stored(session) == _recounted(session)


def _judge_two_days(session: Session, offset: int = 0) -> None:
    monde = _source(session, f"Monde{offset}")
    days = [NOW - timedelta(days=n % 2) for n in range(4)]
    ids = [_item(session, monde, offset + n, day, day) for n, day in enumerate(days)]
    _judge(session, *((item_id, [URGENCES, GREVE]) for item_id in ids))
    _judge(session, *((item_id, [EHPAD]) for item_id in ids[:2]))
    session.exec(delete(Score).where(col(Score.item_id) == ids[3]))
