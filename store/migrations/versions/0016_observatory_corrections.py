"""The coordinator's corrections of the place and kinds of loss of the observatoire's items.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "observatory_correction",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("place_corrected", sa.Boolean(), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("departement_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("national", sa.Boolean(), nullable=False),
        sa.Column("loss_kinds", sa.JSON(), nullable=True),
        sa.Column("who", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("corrected_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.PrimaryKeyConstraint("item_id"),
    )


def downgrade() -> None:
    op.drop_table("observatory_correction")
