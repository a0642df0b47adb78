"""`watcher db upgrade` (`db reindex` is in watcher/cli/archive.py)."""

from __future__ import annotations

from store.db import current_revision, database_url, redacted
from watcher.cli.base import _engine_ready, console, db_app


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Créer ou mettre à jour le schéma de la base (migrations Alembic)."""
    engine = _engine_ready()
    console.print(f"Base à jour (révision {current_revision(engine)}) : {redacted(database_url())}", highlight=False)
