"""Source health: a source disabled because its feed is gone (HTTP 410) says why and since when.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import UTCDateTime

revision: str = "0005"
# The lead re-chains migrations at merge; on this branch it follows the desk tables of main.
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("disabled_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("disabled_reason")
