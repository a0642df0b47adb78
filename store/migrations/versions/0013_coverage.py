"""Coverage: which other sources listed a stored item and when (`sighting`), and the outlet's site behind an
aggregator link (`item.publisher_site`, Google News <source url>).

Items stored before this revision have no sightings and no site: `watcher sources coverage` measures from here on.

Revision ID: 0013
Revises: 0012 (written as 0011 on 0010, beside the desk users and the register history)
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sighting",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("item_id", "source_id"),
    )
    with op.batch_alter_table("sighting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sighting_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sighting_seen_at"), ["seen_at"], unique=False)
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publisher_site", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_column("publisher_site")
    with op.batch_alter_table("sighting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sighting_seen_at"))
        batch_op.drop_index(batch_op.f("ix_sighting_source_id"))
    op.drop_table("sighting")
