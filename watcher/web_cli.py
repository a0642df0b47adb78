"""`watcher web`: the desk, served. Registered on the `watcher` application by watcher/cli.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from store.db import database_url, redacted
from watcher import cli as base

HOST_HELP = "Adresse d'écoute (0.0.0.0 pour l'ouvrir au réseau, derrière un proxy HTTPS)."


def desk_clock() -> datetime:
    return datetime.now(UTC)


@base.app.command()
def web(
    host: Annotated[str, typer.Option("--host", help=HOST_HELP)] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port d'écoute.")] = 8080,
) -> None:
    """Le bureau : les pages web de la coordination, du bureau et du groupe veille."""
    from watcher.web.app import create_app
    from watcher.web.serve import serve

    config = base.state.config()
    engine = base._engine_ready()
    base.console.print(f"Base : {redacted(database_url())}", highlight=False)
    base.console.print(f"Le bureau : http://{host}:{port}/ (Ctrl+C pour arrêter)", highlight=False)
    serve(create_app(engine, config, clock=desk_clock), host, port)
