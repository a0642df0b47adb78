"""Alembic environment: runs against the engine handed over by store.db.upgrade()."""

from alembic import context
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.search import is_search_object

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=lambda name, kind, _parents: not (kind == "table" and is_search_object(name)),
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
