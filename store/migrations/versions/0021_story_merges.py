"""Story merges: an item that links two open stories merges them (`story_merge`, `story.merged_into_id`).

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "story_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("absorbed_story_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("merged_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"]),
        sa.ForeignKeyConstraint(["absorbed_story_id"], ["story.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("absorbed_story_id"),
    )
    with op.batch_alter_table("story_merge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_merge_story_id"), ["story_id"], unique=False)
    with op.batch_alter_table("story", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_story_merged_into_id_story", "story", ["merged_into_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("story", schema=None) as batch_op:
        batch_op.drop_constraint("fk_story_merged_into_id_story", type_="foreignkey")
        batch_op.drop_column("merged_into_id")
    with op.batch_alter_table("story_merge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_merge_story_id"))
    op.drop_table("story_merge")
