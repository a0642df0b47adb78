"""« Publier dans la revue »: the items the coordinator adds to the public revue de presse.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revue_pick",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("picked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("picked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.PrimaryKeyConstraint("item_id"),
    )


def downgrade() -> None:
    op.drop_table("revue_pick")
