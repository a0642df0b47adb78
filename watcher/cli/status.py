"""`watcher status`: the service's state, read without writing (the Docker HEALTHCHECK)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from watcher.cli import base
from watcher.cli.base import app, console, fail


@app.command()
def status(
    now: Annotated[
        str | None, typer.Option("--now", hidden=True, help="Moment de l'état (ISO 8601), pour les tests.")
    ] = None,
) -> None:
    """État du service : dernier cycle, sources en erreur, articles des 24 h, alertes en attente, prochaine synthèse.

    Code de sortie 1 si le service ne travaille plus (pour un HEALTHCHECK Docker). N'écrit rien dans la base.
    """
    from watcher.status import StatusUnavailable, database_status, render

    config = base.state.config()
    try:
        moment = datetime.fromisoformat(now) if now else base.state.now()
    except ValueError:
        raise fail(f"moment invalide « {now} » (format attendu : AAAA-MM-JJTHH:MM+01:00)", 2) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=config.digest.zone)
    try:
        report = database_status(config, moment)
    except StatusUnavailable as exc:
        raise fail(str(exc)) from None
    for line in render(report):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    if not report.healthy:
        raise typer.Exit(1)
