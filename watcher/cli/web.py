"""`watcher web`: the desk. Registered by watcher/cli/__init__.py."""

from __future__ import annotations

from typing import Annotated

import typer

from store.db import database_url, redacted
from store.models import clock_from
from watcher.cli import base

HOST_HELP = "Adresse d'écoute (0.0.0.0 pour l'ouvrir au réseau, derrière un proxy HTTPS)."


@base.app.command()
def web(
    host: Annotated[str, typer.Option("--host", help=HOST_HELP)] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port d'écoute.")] = 8080,
) -> None:
    """Le bureau : les pages web de la coordination, du bureau et du groupe veille.

    Avec « watcher --now AAAA-MM-JJTHH:MM web », l'horloge du bureau part de cet instant et avance ensuite :
    la page « Aujourd'hui », la simulation et les actions (avis, signalements, parutions…) datées de ce
    jour-là, chacune à son heure.
    """
    from watcher.web.app import create_app
    from watcher.web.serve import serve

    config = base.state.config()
    engine = base._engine_ready()
    base.console.print(f"Base : {redacted(database_url())}", highlight=False)
    base.console.print(f"Le bureau : http://{host}:{port}/ (Ctrl+C pour arrêter)", highlight=False)
    # The clock runs on from --now rather than standing still: each action gets its own time, a lockout ends.
    serve(create_app(engine, config, clock=clock_from(base.state.fixed_now())), host, port)
