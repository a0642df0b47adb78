"""The desk's pages read a period, not the whole archive (issue 18, point 6; `bench/web.py` measures them)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.dialects import sqlite

from store.browse import period_query
from store.db import session_scope
from store.desk import tribunes
from store.health import source_health_rows
from store.models import Item, Score, Source, Verdict
from store.verdicts import reason_counts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _item(source_id: int, n: int, published: datetime, collected: datetime) -> Item:
    return Item(
        source_id=source_id,
        guid=f"g{source_id}-{n}",
        url=f"https://s{source_id}.test/{n}",
        title=f"Titre {n}",
        published_at=published,
        collected_at=collected,
        title_date_key=f"k{source_id}-{n}",
        content_hash=hashlib.sha256(f"{source_id}-{n}".encode()).hexdigest(),
    )


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _plan(engine: Engine, source: str | None) -> list[str]:
    query = period_query(start=NOW - timedelta(days=1), end=NOW, decisions=["alert", "digest"], source=source)
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        return [row[3] for row in connection.execute(text("EXPLAIN QUERY PLAN " + sql))]


def test_the_day_is_read_through_the_collection_times_not_through_every_decision(sqlite_engine: Engine) -> None:
    plan = _plan(sqlite_engine, None)
    # Started from the alerts and digest items of the whole archive, the day's page grew with it (migration 0018).
    assert plan[0].startswith("SEARCH item USING INDEX ix_item_collected_at"), plan
    assert not any("ix_score_decision" in step for step in plan), plan
    # Filtered by source: the source's day, not everything the source ever published.
    plan = _plan(sqlite_engine, "Le Monde")
    item_step = next(step for step in plan if step.startswith("SEARCH item"))
    assert "ix_item_source_collected (source_id=? AND collected_at>? AND collected_at<?)" in item_step, plan


def test_source_health_reads_its_window_of_days_and_the_week_of_items(engine: Engine) -> None:
    with session_scope(engine) as session:
        busy = Source(name="Bavard", kind="rss", url="https://b.test/", interval_seconds=1800, last_success_at=NOW)
        silent = Source(name="Muet", kind="rss", url="https://m.test/", interval_seconds=1800, last_success_at=NOW)
        late = Source(name="Tardif", kind="rss", url="https://t.test/", interval_seconds=1800, last_success_at=NOW)
        session.add_all([busy, silent, late])
        session.flush()
        for n in range(10):
            published = NOW - timedelta(days=n)
            session.add(_item(busy.id or 0, n, published, published + timedelta(minutes=10)))
        session.add(_item(busy.id or 0, 50, NOW - timedelta(days=200), NOW - timedelta(days=200)))
        session.add(_item(silent.id or 0, 1, NOW - timedelta(days=90), NOW - timedelta(days=90)))
        # Collected in the window, published long before it: its day of publication is outside the window.
        session.add(_item(late.id or 0, 1, NOW - timedelta(days=300), NOW - timedelta(days=2)))
        session.add(_item(late.id or 0, 2, NOW - timedelta(days=60), NOW - timedelta(days=59)))
    with session_scope(engine) as session, _statements(engine) as statements:
        rows = {row.source.name: row for row in source_health_rows(session, NOW)}
    assert rows["Bavard"].last_item_at == NOW
    assert [day.items for day in rows["Bavard"].days] == [1] * 10 and rows["Bavard"].week == 8
    assert rows["Muet"].last_item_at == NOW - timedelta(days=90) and rows["Muet"].days == []
    assert rows["Tardif"].last_item_at == NOW - timedelta(days=60)
    assert rows["Tardif"].days == [] and rows["Tardif"].week == 0
    # Before the window, only the days of the sources silent in it; of the items, the week's only.
    whole_archive = [s for s in statements if "GROUP BY source_day.source_id" in s]
    assert len(whole_archive) == 1 and "source_day.source_id IN" in whole_archive[0], statements
    items = [s for s in statements if "FROM item" in s]
    assert len(items) == 1 and "item.collected_at >=" in items[0], statements

    # Every source published in the window: nothing beyond it is read.
    with session_scope(engine) as session:
        for source in (silent, late):
            session.add(_item(source.id or 0, 99, NOW - timedelta(hours=1), NOW))
    with session_scope(engine) as session, _statements(engine) as statements:
        rows = {row.source.name: row for row in source_health_rows(session, NOW)}
    assert {name: row.last_item_at for name, row in rows.items()} == dict.fromkeys(rows, NOW - timedelta(hours=1)) | {
        "Bavard": NOW
    }
    assert not [s for s in statements if "GROUP BY source_day" in s], statements


def test_the_rules_are_measured_over_the_items_collected_since(engine: Engine) -> None:
    since = NOW - timedelta(days=7)
    ages = {"a": timedelta(days=1), "b": timedelta(days=5), "c": timedelta(days=7, hours=-3)}
    # Collected on the period's first day: « c » after its start, « d » before it.
    ages |= {"d": timedelta(days=7, hours=3), "e": timedelta(days=40)}
    with session_scope(engine) as session:
        source = Source(name="Bavard", kind="rss", url="https://b.test/", interval_seconds=1800)
        session.add(source)
        session.flush()
        for n, (name, age) in enumerate(ages.items()):
            item = _item(source.id or 0, n, NOW - age, NOW - age)
            session.add(item)
            session.flush()
            why = [f"hopital : « {name} » +1", "hopital : « urgences » +5"]
            session.add(Score(item_id=item.id or 0, score=50, decision="digest", why=why, scored_at=NOW))
            if name in ("b", "e"):
                verdict = Verdict(item_id=item.id or 0, topic="hopital", verdict="pertinent", who="a", created_at=NOW)
                session.add(verdict)
    with session_scope(engine) as session:
        everything = reason_counts(session)
        recent = reason_counts(session, since=since)
    assert everything.items == 5 and everything.hits["hopital : « urgences » +5"] == 5
    assert everything.judged[("hopital : « urgences » +5", "hopital", "pertinent")] == 2
    assert recent.items == 3
    assert recent.hits == {
        "hopital : « a » +1": 1,
        "hopital : « b » +1": 1,
        "hopital : « c » +1": 1,
        "hopital : « urgences » +5": 3,
    }
    assert recent.judged == {
        ("hopital : « b » +1", "hopital", "pertinent"): 1,
        ("hopital : « urgences » +5", "hopital", "pertinent"): 1,
    }
    if engine.dialect.name == "sqlite":
        with _statements(engine) as statements, session_scope(engine) as session:
            reason_counts(session, since=since)
        # The verdicts of the period through the index on their item, not every verdict of the archive.
        judged = next(s for s in statements if "verdict.verdict" in s)
        with engine.connect() as connection:
            explained = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + judged, (1, "2026-11-16 09:00:00.000000"))
            plan = [row[3] for row in explained]
        assert plan[0].startswith("SEARCH verdict USING INDEX ix_verdict_item_id (item_id>?)"), plan


def test_the_latest_closed_tribunes_are_read_down_their_index_not_sorted_whole(sqlite_engine: Engine) -> None:
    with _statements(sqlite_engine) as statements, session_scope(sqlite_engine) as session:
        tribunes(session, "publiee", limit=20, latest_first=True)
    with sqlite_engine.connect() as connection:
        explained = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statements[-1], ("publiee", 20, 0))
        plan = [row[3] for row in explained]
    assert plan[0] == "SEARCH tribune USING INDEX ix_tribune_status_flagged (status=?)", plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
