"""Who last changed a tribune (its status, outlet, deadline, address or note), beside when (`updated_at`).

Tribunes changed before this revision keep their time and have no author: the desk shows only who flagged them.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tribune", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tribune", schema=None) as batch_op:
        batch_op.drop_column("updated_by")
