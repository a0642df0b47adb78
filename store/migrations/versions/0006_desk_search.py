"""The coordinator's desk: Slack clicks, tribune links in the press register, full-text search.

Search lives outside the SQLModel metadata (store.search.is_search_object):
- SQLite: an FTS5 table `item_search` (rowid = item id) with the text and its French stems,
  accents folded by the `unicode61 remove_diacritics 2` tokenizer; the store fills it
  (stems come from Python), and store.search indexes what is missing.
- PostgreSQL: `item_search` holds a weighted `tsvector` kept by a trigger on `item`, in a
  `veille_fr` configuration (french stemmer, after `unaccent` when the extension can be created).

Revision ID: 0006
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import UTCDateTime

revision: str = "0006"
# The brief said "0001"; main already has 0002 (desk tables) on 0001, and two heads would stop `upgrade head`.
down_revision: str | None = "0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

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


def _upgrade_postgresql() -> None:
    bind = op.get_bind()
    # unaccent needs the right to create extensions; without it, search still stems but keeps accents.
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
        savepoint.commit()
        has_unaccent = True
    except sa.exc.DBAPIError:
        savepoint.rollback()
        has_unaccent = False
    bind.exec_driver_sql("CREATE TEXT SEARCH CONFIGURATION veille_fr (COPY = french)")
    if has_unaccent:
        bind.exec_driver_sql(
            "ALTER TEXT SEARCH CONFIGURATION veille_fr "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem"
        )
    bind.exec_driver_sql(
        "CREATE TABLE item_search ("
        " item_id INTEGER PRIMARY KEY REFERENCES item (id) ON DELETE CASCADE,"
        " document TSVECTOR NOT NULL)"
    )
    bind.exec_driver_sql("CREATE INDEX item_search_document ON item_search USING GIN (document)")
    bind.exec_driver_sql(_PG_FUNCTION)
    bind.exec_driver_sql(
        "CREATE TRIGGER item_search_sync AFTER INSERT OR UPDATE OF title, summary, content ON item "
        "FOR EACH ROW EXECUTE FUNCTION item_search_refresh()"
    )
    # Items stored before this migration.
    bind.exec_driver_sql(
        "INSERT INTO item_search (item_id, document) SELECT id,"
        " setweight(to_tsvector('veille_fr', coalesce(title, '')), 'A')"
        " || setweight(to_tsvector('veille_fr', coalesce(summary, '') || ' ' || coalesce(content, '')), 'B')"
        " FROM item"
    )


def upgrade() -> None:
    op.create_table(
        "desk_click",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("who", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("clicked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("desk_click", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_click_item_id"), ["item_id"], unique=False)

    with op.batch_alter_table("press_mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tribune_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_press_mention_tribune_id", ["tribune_id"])
        batch_op.create_foreign_key("fk_press_mention_tribune_id", "tribune", ["tribune_id"], ["id"])

    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        op.execute(
            "CREATE VIRTUAL TABLE item_search USING fts5("
            "title, body, title_stems, body_stems, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS item_search_sync ON item")
        op.execute("DROP FUNCTION IF EXISTS item_search_refresh()")
        op.execute("DROP TABLE IF EXISTS item_search")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS veille_fr")
    else:
        op.execute("DROP TABLE IF EXISTS item_search")
    with op.batch_alter_table("press_mention", schema=None) as batch_op:
        batch_op.drop_constraint("fk_press_mention_tribune_id", type_="foreignkey")
        batch_op.drop_constraint("uq_press_mention_tribune_id", type_="unique")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("tribune_id")
    with op.batch_alter_table("desk_click", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_click_item_id"))
    op.drop_table("desk_click")
