"""The register's history: month-only dates, a note, and the key that makes `watcher mentions import` idempotent.

Entries written before this revision are dated to the day (server default « day ») and were not imported.

Revision ID: 0012
Revises: 0011 (written as 0010 on 0009, beside the search stems and the desk users)
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("press_mention", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("date_precision", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="day")
        )
        batch_op.add_column(sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("import_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_unique_constraint("uq_press_mention_import_key", ["import_key"])


def downgrade() -> None:
    # A month-only entry keeps the 1st of its month as its day.
    with op.batch_alter_table("press_mention", schema=None) as batch_op:
        batch_op.drop_constraint("uq_press_mention_import_key", type_="unique")
        batch_op.drop_column("import_key")
        batch_op.drop_column("note")
        batch_op.drop_column("date_precision")
