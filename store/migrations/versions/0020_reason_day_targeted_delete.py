"""The day-count triggers of scores (0019) delete the emptied reasons of the score's own `why`, not of the whole day.

After adding or taking back a score's reasons, 0019's triggers deleted the rows of the day brought to zero with
`DELETE FROM reason_day WHERE day = … AND hits = 0`: the primary key (day, reason) narrows that to the day, so every
score written read all the reasons of its day (thousands: a reason names its rule and its points), and a day's
collection grew quadratic. `bench/ingest.py`, 2,585 scores on one day: 0.5 s of 3 went there. Only the reasons the
score adds or takes back can reach zero (the others were already nonzero), so the delete looks those up by key.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _sqlite_add_score(why: str, day: str, sign: str, targeted: bool) -> str:
    """Add (sign +) or take back (sign -) a scored item and its reasons `why` on `day`; rows brought to zero go."""
    only_these = f" AND reason IN (SELECT value FROM json_each({why}))" if targeted else ""
    return f"""
    INSERT INTO scored_day (day, items) SELECT {day}, {sign}1 WHERE true
        ON CONFLICT (day) DO UPDATE SET items = items + excluded.items;
    INSERT INTO reason_day (day, reason, hits)
        SELECT {day}, reasons.value, {sign}count(*) FROM json_each({why}) AS reasons WHERE true
        GROUP BY reasons.value
        ON CONFLICT (day, reason) DO UPDATE SET hits = hits + excluded.hits;
    DELETE FROM scored_day WHERE day = {day} AND items = 0;
    DELETE FROM reason_day WHERE day = {day} AND hits = 0{only_these};"""


def _sqlite_collected_day(row: str) -> str:
    return f"(SELECT date(collected_at) FROM item WHERE id = {row}.item_id)"


def _sqlite_triggers(targeted: bool) -> dict[str, str]:
    def add(why: str, day: str, sign: str) -> str:
        return _sqlite_add_score(why, day, sign, targeted)

    why = "(SELECT why FROM score WHERE item_id = NEW.id)"
    return {
        "reason_day_scored": f"""
CREATE TRIGGER reason_day_scored AFTER INSERT ON score BEGIN
    {add("NEW.why", _sqlite_collected_day("NEW"), "+")}
END""",
        "reason_day_rescored": f"""
CREATE TRIGGER reason_day_rescored AFTER UPDATE OF why, item_id ON score BEGIN
    {add("OLD.why", _sqlite_collected_day("OLD"), "-")}
    {add("NEW.why", _sqlite_collected_day("NEW"), "+")}
END""",
        "reason_day_unscored": f"""
CREATE TRIGGER reason_day_unscored AFTER DELETE ON score BEGIN
    {add("OLD.why", _sqlite_collected_day("OLD"), "-")}
END""",
        "reason_day_item_moved": f"""
CREATE TRIGGER reason_day_item_moved AFTER UPDATE OF collected_at ON item
WHEN date(OLD.collected_at) IS NOT date(NEW.collected_at) AND EXISTS (SELECT 1 FROM score WHERE item_id = NEW.id)
BEGIN
    {add(why, "date(OLD.collected_at)", "-")}
    {add(why, "date(NEW.collected_at)", "+")}
END""",
    }


# --- PostgreSQL: the functions of 0019, replaced in place (their triggers stay) ----------------------------------

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


def _pg_add_score(why: str, day: str, sign: str, targeted: bool) -> str:
    only_these = f" AND reason IN (SELECT json_array_elements_text(CAST({why} AS json)))" if targeted else ""
    return f"""
    INSERT INTO scored_day (day, items) VALUES ({day}, {sign}1)
        ON CONFLICT (day) DO UPDATE SET items = scored_day.items + EXCLUDED.items;
    INSERT INTO reason_day (day, reason, hits)
        SELECT {day}, reasons.value, {sign}count(*) FROM json_array_elements_text(CAST({why} AS json)) AS reasons(value)
        GROUP BY reasons.value
        ON CONFLICT (day, reason) DO UPDATE SET hits = reason_day.hits + EXCLUDED.hits;
    DELETE FROM scored_day WHERE day = {day} AND items = 0;
    DELETE FROM reason_day WHERE day = {day} AND hits = 0{only_these};"""


_PG_SCORE_WHY = "(SELECT why FROM score WHERE item_id = NEW.id)"
_PG_COLLECTED_DAY = "(SELECT (collected_at AT TIME ZONE 'UTC')::date FROM item WHERE id = {row}.item_id)"


def _pg_functions(targeted: bool) -> tuple[str, str]:
    def add(why: str, day: str, sign: str) -> str:
        return _pg_add_score(why, day, sign, targeted)

    item_changed = f"""
CREATE OR REPLACE FUNCTION source_day_item_changed() RETURNS trigger AS $$
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
            {add(_PG_SCORE_WHY, "(OLD.collected_at AT TIME ZONE 'UTC')::date", "-")}
            {add(_PG_SCORE_WHY, "(NEW.collected_at AT TIME ZONE 'UTC')::date", "+")}
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql"""
    score_changed = f"""
CREATE OR REPLACE FUNCTION reason_day_score_changed() RETURNS trigger AS $$
BEGIN
    {_PG_LOCK}
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {add("OLD.why", _PG_COLLECTED_DAY.format(row="OLD"), "-")}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {add("NEW.why", _PG_COLLECTED_DAY.format(row="NEW"), "+")}
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql"""
    return item_changed, score_changed


def _replace(targeted: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in _pg_functions(targeted):
            bind.exec_driver_sql(statement)
        return
    for name, statement in _sqlite_triggers(targeted).items():
        bind.exec_driver_sql(f"DROP TRIGGER {name}")
        bind.exec_driver_sql(statement)


def upgrade() -> None:
    _replace(targeted=True)


def downgrade() -> None:
    _replace(targeted=False)
