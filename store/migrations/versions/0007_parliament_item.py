"""Parliamentary fields of items: kind, chamber, author, group, bill, number, outcome, day.

Revision ID: 0007
Revises: 0002 (the brief says 0001; main already has 0002 on 0001, and two heads break `upgrade head`)
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parliament_item",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("chamber", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("group", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("bill", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("bill_refs", sa.JSON(), nullable=False),
        sa.Column("tracked", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("parliament_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parliament_item_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_parliament_item_bill"), ["bill"], unique=False)
        batch_op.create_index(batch_op.f("ix_parliament_item_tracked"), ["tracked"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parliament_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parliament_item_tracked"))
        batch_op.drop_index(batch_op.f("ix_parliament_item_bill"))
        batch_op.drop_index(batch_op.f("ix_parliament_item_kind"))
    op.drop_table("parliament_item")
