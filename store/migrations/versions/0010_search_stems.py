"""Search stems from one analysis on both backends: each word stemmed as written, then folded.

The rows written before stemmed the folded word (« fermées » read as « fermees », stem « ferme »); they are
emptied here and written again by the next catch-up (`watcher db upgrade` runs it right after migrating;
`watcher db reindex` rebuilds the index on demand). On PostgreSQL the trigger that kept the `tsvector`
from the text goes: the `tsvector` now holds the stems that watcher/search.py computes, as on SQLite.

Revision ID: 0010
Revises: 0009 (written as 0008 on 0006, beside the score summary and the service state)
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# The trigger of migration 0006, put back by downgrade().
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION item_search_refresh() RETURNS trigger AS $$
BEGIN
    INSERT INTO item_search (item_id, document)
    VALUES (
        NEW.id,
        setweight(to_tsvector('veille_fr', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('veille_fr', coalesce(NEW.summary, '') || ' ' || coalesce(NEW.content, '')), 'B')
    )
    ON CONFLICT (item_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS item_search_sync ON item")
        op.execute("DROP FUNCTION IF EXISTS item_search_refresh()")
    op.execute("DELETE FROM item_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DELETE FROM item_search")  # the earlier code indexes again what is missing, with its own stems
        return
    op.execute(_PG_FUNCTION)
    op.execute(
        "CREATE TRIGGER item_search_sync AFTER INSERT OR UPDATE OF title, summary, content ON item "
        "FOR EACH ROW EXECUTE FUNCTION item_search_refresh()"
    )
    op.execute(
        "INSERT INTO item_search (item_id, document) SELECT id,"
        " setweight(to_tsvector('veille_fr', coalesce(title, '')), 'A')"
        " || setweight(to_tsvector('veille_fr', coalesce(summary, '') || ' ' || coalesce(content, '')), 'B')"
        " FROM item ON CONFLICT (item_id) DO UPDATE SET document = EXCLUDED.document"
    )
