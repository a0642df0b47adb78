"""Story splits: a join the coordinator contested, the item moved out into a story of its own (`story_split`).

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "story_split",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("former_story_id", sa.Integer(), nullable=False),
        sa.Column("new_story_id", sa.Integer(), nullable=False),
        sa.Column("who", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("split_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["former_story_id"], ["story.id"]),
        sa.ForeignKeyConstraint(["new_story_id"], ["story.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("story_split", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_split_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_story_split_former_story_id"), ["former_story_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("story_split", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_split_former_story_id"))
        batch_op.drop_index(batch_op.f("ix_story_split_item_id"))
    op.drop_table("story_split")
