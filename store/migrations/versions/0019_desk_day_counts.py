"""Day counts the desk reads instead of the items themselves, and the tribunes' order (`bench/web.py`, 10k/100k).

- `source_day`: per source and UTC day of publication (a date in the future counts as the collection time), how
  many items, the first and the last. « Sources » and `watcher sources health` read their rhythm window from it.
- `scored_day` and `reason_day`: per UTC day of collection, how many items were scored and how often each reason of
  `score.why` was given. « Règles » and `watcher rules stats` add them up.

Triggers keep them, in the transaction that writes the items and scores, whoever writes them (the collector, an
import, a test, the bench): an item added, moved or deleted, a score added, replaced (re-judging) or deleted. The
tables are filled here from the rows already stored.

`tribune`'s index on status becomes one on (status, flagged_at, id): « Tribunes » lists the closed ones (which only
grow) latest flagged first, 20 a page; SQLite sorted all the tribunes of the status at each visit, it now reads the
index down from the latest and stops at the page.

On PostgreSQL the trigger functions first take one transaction-scoped advisory lock: every batch of every worker
adds to the same rows of the day, and taking them in one queue rather than row by row, in whatever order each
batch's items come, keeps two workers from waiting on each other's rows (a deadlock).

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# --- SQLite ---------------------------------------------------------------------------------------------------------

_SQLITE_WHEN = "min({row}.published_at, {row}.collected_at)"
_SQLITE_DAY_OF = "date(min({row}.published_at, {row}.collected_at))"


def _sqlite_recount_source_day(row: str) -> str:
    """Count again the (source, day) of `row` from the items (after a move or a deletion: the first and last times
    of what is left cannot be derived from the counts). Items never move in the application: tests and repairs do."""
    when = "min(published_at, collected_at)"
    return f"""
    DELETE FROM source_day WHERE source_id = {row}.source_id AND day = {_SQLITE_DAY_OF.format(row=row)};
    INSERT INTO source_day (source_id, day, items, first_at, last_at)
        SELECT source_id, date({when}), count(*), min({when}), max({when}) FROM item
        WHERE source_id = {row}.source_id AND date({when}) = {_SQLITE_DAY_OF.format(row=row)}
        GROUP BY source_id, date({when})
        ON CONFLICT (source_id, day) DO UPDATE
            SET items = excluded.items, first_at = excluded.first_at, last_at = excluded.last_at;"""


def _sqlite_add_score(why: str, day: str, sign: str) -> str:
    """Add (sign +) or take back (sign -) a scored item and its reasons `why` on `day`; rows brought to zero go."""
    return f"""
    INSERT INTO scored_day (day, items) SELECT {day}, {sign}1 WHERE true
        ON CONFLICT (day) DO UPDATE SET items = items + excluded.items;
    INSERT INTO reason_day (day, reason, hits)
        SELECT {day}, reasons.value, {sign}count(*) FROM json_each({why}) AS reasons WHERE true
        GROUP BY reasons.value
        ON CONFLICT (day, reason) DO UPDATE SET hits = hits + excluded.hits;
    DELETE FROM scored_day WHERE day = {day} AND items = 0;
    DELETE FROM reason_day WHERE day = {day} AND hits = 0;"""


def _sqlite_collected_day(row: str) -> str:
    return f"(SELECT date(collected_at) FROM item WHERE id = {row}.item_id)"


_SQLITE_TRIGGERS = {
    "source_day_item_added": f"""
CREATE TRIGGER source_day_item_added AFTER INSERT ON item BEGIN
    INSERT INTO source_day (source_id, day, items, first_at, last_at)
        VALUES (NEW.source_id, {_SQLITE_DAY_OF.format(row="NEW")}, 1,
                {_SQLITE_WHEN.format(row="NEW")}, {_SQLITE_WHEN.format(row="NEW")})
        ON CONFLICT (source_id, day) DO UPDATE
            SET items = items + 1, first_at = min(first_at, excluded.first_at),
                last_at = max(last_at, excluded.last_at);
END""",
    "source_day_item_moved": f"""
CREATE TRIGGER source_day_item_moved AFTER UPDATE OF source_id, published_at, collected_at ON item BEGIN
    {_sqlite_recount_source_day("OLD")}
    {_sqlite_recount_source_day("NEW")}
END""",
    "source_day_item_deleted": f"""
CREATE TRIGGER source_day_item_deleted AFTER DELETE ON item BEGIN
    {_sqlite_recount_source_day("OLD")}
END""",
    "reason_day_scored": f"""
CREATE TRIGGER reason_day_scored AFTER INSERT ON score BEGIN
    {_sqlite_add_score("NEW.why", _sqlite_collected_day("NEW"), "+")}
END""",
    "reason_day_rescored": f"""
CREATE TRIGGER reason_day_rescored AFTER UPDATE OF why, item_id ON score BEGIN
    {_sqlite_add_score("OLD.why", _sqlite_collected_day("OLD"), "-")}
    {_sqlite_add_score("NEW.why", _sqlite_collected_day("NEW"), "+")}
END""",
    "reason_day_unscored": f"""
CREATE TRIGGER reason_day_unscored AFTER DELETE ON score BEGIN
    {_sqlite_add_score("OLD.why", _sqlite_collected_day("OLD"), "-")}
END""",
    # A scored item collected on another day: its score moves with it.
    "reason_day_item_moved": f"""
CREATE TRIGGER reason_day_item_moved AFTER UPDATE OF collected_at ON item
WHEN date(OLD.collected_at) IS NOT date(NEW.collected_at) AND EXISTS (SELECT 1 FROM score WHERE item_id = NEW.id)
BEGIN
    {_sqlite_add_score("(SELECT why FROM score WHERE item_id = NEW.id)", "date(OLD.collected_at)", "-")}
    {_sqlite_add_score("(SELECT why FROM score WHERE item_id = NEW.id)", "date(NEW.collected_at)", "+")}
END""",
}

_SQLITE_BACKFILL = (
    f"""INSERT INTO source_day (source_id, day, items, first_at, last_at)
    SELECT source_id, {_SQLITE_DAY_OF.format(row="item")}, count(*),
           min({_SQLITE_WHEN.format(row="item")}), max({_SQLITE_WHEN.format(row="item")})
    FROM item GROUP BY 1, 2""",
    """INSERT INTO scored_day (day, items)
    SELECT date(item.collected_at), count(*) FROM score JOIN item ON item.id = score.item_id GROUP BY 1""",
    """INSERT INTO reason_day (day, reason, hits)
    SELECT date(item.collected_at), reasons.value, count(*)
    FROM score JOIN item ON item.id = score.item_id, json_each(score.why) AS reasons GROUP BY 1, 2""",
)

# --- PostgreSQL -----------------------------------------------------------------------------------------------------

_PG_LOCK = "PERFORM pg_advisory_xact_lock(hashtext('veille_day_counts'));"
_PG_WHEN = "least({row}.published_at, {row}.collected_at)"
_PG_DAY = "(least({row}.published_at, {row}.collected_at) AT TIME ZONE 'UTC')::date"


def _pg_recount_source_day(row: str) -> str:
    when = "least(published_at, collected_at)"
    day = f"({when} AT TIME ZONE 'UTC')::date"
    return f"""
    DELETE FROM source_day WHERE source_id = {row}.source_id AND day = {_PG_DAY.format(row=row)};
    INSERT INTO source_day (source_id, day, items, first_at, last_at)
        SELECT source_id, {day}, count(*), min({when}), max({when}) FROM item
        WHERE source_id = {row}.source_id AND {day} = {_PG_DAY.format(row=row)}
        GROUP BY source_id, {day}
        ON CONFLICT (source_id, day) DO UPDATE
            SET items = EXCLUDED.items, first_at = EXCLUDED.first_at, last_at = EXCLUDED.last_at;"""


def _pg_add_score(why: str, day: str, sign: str) -> str:
    return f"""
    INSERT INTO scored_day (day, items) VALUES ({day}, {sign}1)
        ON CONFLICT (day) DO UPDATE SET items = scored_day.items + EXCLUDED.items;
    INSERT INTO reason_day (day, reason, hits)
        SELECT {day}, reasons.value, {sign}count(*) FROM json_array_elements_text(CAST({why} AS json)) AS reasons(value)
        GROUP BY reasons.value
        ON CONFLICT (day, reason) DO UPDATE SET hits = reason_day.hits + EXCLUDED.hits;
    DELETE FROM scored_day WHERE day = {day} AND items = 0;
    DELETE FROM reason_day WHERE day = {day} AND hits = 0;"""


_PG_SCORE_WHY = "(SELECT why FROM score WHERE item_id = NEW.id)"
_PG_COLLECTED_DAY = "(SELECT (collected_at AT TIME ZONE 'UTC')::date FROM item WHERE id = {row}.item_id)"

_PG_FUNCTIONS = {
    "source_day_item_changed": f"""
CREATE FUNCTION source_day_item_changed() RETURNS trigger AS $$
BEGIN
    {_PG_LOCK}
    IF TG_OP = 'INSERT' THEN
        INSERT INTO source_day (source_id, day, items, first_at, last_at)
            VALUES (NEW.source_id, {_PG_DAY.format(row="NEW")}, 1, {_PG_WHEN.format(row="NEW")},
                    {_PG_WHEN.format(row="NEW")})
            ON CONFLICT (source_id, day) DO UPDATE
                SET items = source_day.items + 1, first_at = least(source_day.first_at, EXCLUDED.first_at),
                    last_at = greatest(source_day.last_at, EXCLUDED.last_at);
        RETURN NULL;
    END IF;
    {_pg_recount_source_day("OLD")}
    IF TG_OP = 'UPDATE' THEN
        {_pg_recount_source_day("NEW")}
        IF (OLD.collected_at AT TIME ZONE 'UTC')::date <> (NEW.collected_at AT TIME ZONE 'UTC')::date
           AND EXISTS (SELECT 1 FROM score WHERE item_id = NEW.id) THEN
            {_pg_add_score(_PG_SCORE_WHY, "(OLD.collected_at AT TIME ZONE 'UTC')::date", "-")}
            {_pg_add_score(_PG_SCORE_WHY, "(NEW.collected_at AT TIME ZONE 'UTC')::date", "+")}
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql""",
    "reason_day_score_changed": f"""
CREATE FUNCTION reason_day_score_changed() RETURNS trigger AS $$
BEGIN
    {_PG_LOCK}
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {_pg_add_score("OLD.why", _PG_COLLECTED_DAY.format(row="OLD"), "-")}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {_pg_add_score("NEW.why", _PG_COLLECTED_DAY.format(row="NEW"), "+")}
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql""",
}

_PG_TRIGGERS = (
    "CREATE TRIGGER source_day_item_added AFTER INSERT ON item FOR EACH ROW EXECUTE FUNCTION source_day_item_changed()",
    "CREATE TRIGGER source_day_item_moved AFTER UPDATE OF source_id, published_at, collected_at ON item"
    " FOR EACH ROW EXECUTE FUNCTION source_day_item_changed()",
    "CREATE TRIGGER source_day_item_deleted AFTER DELETE ON item"
    " FOR EACH ROW EXECUTE FUNCTION source_day_item_changed()",
    "CREATE TRIGGER reason_day_scored AFTER INSERT OR DELETE OR UPDATE OF why, item_id ON score"
    " FOR EACH ROW EXECUTE FUNCTION reason_day_score_changed()",
)

_PG_BACKFILL = (
    f"""INSERT INTO source_day (source_id, day, items, first_at, last_at)
    SELECT source_id, {_PG_DAY.format(row="item")}, count(*), min({_PG_WHEN.format(row="item")}),
           max({_PG_WHEN.format(row="item")})
    FROM item GROUP BY 1, 2""",
    """INSERT INTO scored_day (day, items)
    SELECT (item.collected_at AT TIME ZONE 'UTC')::date, count(*) FROM score JOIN item ON item.id = score.item_id
    GROUP BY 1""",
    """INSERT INTO reason_day (day, reason, hits)
    SELECT (item.collected_at AT TIME ZONE 'UTC')::date, reasons.value, count(*)
    FROM score JOIN item ON item.id = score.item_id, json_array_elements_text(CAST(score.why AS json)) AS reasons(value)
    GROUP BY 1, 2""",
)


def upgrade() -> None:
    op.create_table(
        "source_day",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("first_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("source_id", "day"),
    )
    op.create_table(
        "scored_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "reason_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "reason"),
    )
    with op.batch_alter_table("tribune", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tribune_status"))
        batch_op.create_index("ix_tribune_status_flagged", ["status", "flagged_at", "id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in (*_PG_BACKFILL, *_PG_FUNCTIONS.values(), *_PG_TRIGGERS):
            bind.exec_driver_sql(statement)
        return
    for statement in (*_SQLITE_BACKFILL, *_SQLITE_TRIGGERS.values()):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP TRIGGER reason_day_scored ON score")
        for name in ("source_day_item_added", "source_day_item_moved", "source_day_item_deleted"):
            bind.exec_driver_sql(f"DROP TRIGGER {name} ON item")
        for name in _PG_FUNCTIONS:
            bind.exec_driver_sql(f"DROP FUNCTION {name}()")
    else:
        for name in _SQLITE_TRIGGERS:
            bind.exec_driver_sql(f"DROP TRIGGER {name}")
    for table in ("reason_day", "scored_day", "source_day"):
        op.drop_table(table)
    with op.batch_alter_table("tribune", schema=None) as batch_op:
        batch_op.drop_index("ix_tribune_status_flagged")
        batch_op.create_index(batch_op.f("ix_tribune_status"), ["status"], unique=False)
