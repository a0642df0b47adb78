"""The desk reads a period of the archive, not all of it (`bench/web.py`, 10k against 100k items).

- `score.decision` loses its index. « Aujourd'hui » asks for the alerts and digest items collected in the last
  24 hours; with that index, SQLite's planner started from every alert and digest score of the archive and looked
  each item up to test its collection time (0.4 s at 100k items). Without it, the planner walks
  `ix_item_collected_at` over the day only (1 ms). Three values never narrow a search: PostgreSQL had no use for it.
- `item` gains an index on (source_id, collected_at): filtered by source, the day was read through all the items the
  source ever published (`ix_item_source_id`), now through the source's day only.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_decision"))
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index("ix_item_source_collected", ["source_id", "collected_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_source_collected")
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_decision"), ["decision"], unique=False)
