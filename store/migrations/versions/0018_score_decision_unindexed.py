"""The score's decision loses its index: with three values it never narrows a search, and SQLite took it anyway.

The desk's day (« Aujourd'hui ») asks for the alerts and digest items collected in the last 24 hours. With an index
on `score.decision`, SQLite's planner started from every alert and digest score of the archive and looked each item
up to test its collection time: the page grew with the archive (0.4 s at 100k items). Without it, the planner walks
`ix_item_collected_at` over the day only (1 ms). PostgreSQL, which keeps statistics, did not need the index either.

Revision ID: 0018
Revises: 0013 (the lead re-chains it after the revisions written beside it)
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0013"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_decision"))


def downgrade() -> None:
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_decision"), ["decision"], unique=False)
