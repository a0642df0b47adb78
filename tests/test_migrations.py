"""The Alembic migrations build exactly the schema that store/models.py describes, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store.db import current_revision, upgrade
from store.search import is_search_object


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                # The search tables (FTS5 / tsvector) are built by migration 0006, outside the models.
                "include_name": lambda name, kind, _parents: not (kind == "table" and is_search_object(name)),
            },
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before
    assert {"source", "item", "score", "story", "delivery", "fetch_attempt"} <= set(inspect(engine).get_table_names())
