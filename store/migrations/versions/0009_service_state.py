"""Service state: each collection cycle's start and end, the problems told to the ops channel, a source's warning.

Revision ID: 0009
Revises: 0008 (written as 0008 on 0006, beside the score summary and the search stems)
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cycle_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("new_items", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cycle_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cycle_run_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cycle_run_finished_at"), ["finished_at"], unique=False)
    op.create_table(
        "ops_notice",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("raised", sa.Boolean(), nullable=False),
        sa.Column("since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("notified_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("cleared_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_owner", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind"),
    )
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_warning", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("last_warning_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_column("last_warning_at")
        batch_op.drop_column("last_warning")
    op.drop_table("ops_notice")
    with op.batch_alter_table("cycle_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycle_run_finished_at"))
        batch_op.drop_index(batch_op.f("ix_cycle_run_started_at"))
    op.drop_table("cycle_run")
