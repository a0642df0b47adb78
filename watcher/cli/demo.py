"""`watcher demo`: the offline demonstration, and with --web its database in the desk."""

from __future__ import annotations

import logging
import secrets
import shlex
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from store import queries
from store.db import DATABASE_URL_ENV_VAR, make_engine, session_scope
from store.models import clock_from
from watcher.cli import base
from watcher.cli.base import (
    NOW_HELP,
    _print_source,
    _workers,
    app,
    console,
    counted,
    in_zone,
    instant,
)
from watcher.config import Config
from watcher.logs import configure_logging
from watcher.score import DECISION_LABELS

DEMO_ACCOUNT = "demo"


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Dossier de sortie de la démonstration.")] = Path("demo-out"),
    web: Annotated[
        bool, typer.Option("--web", help="Puis ouvrir les données de la démonstration dans le bureau web.")
    ] = False,
    port: Annotated[int, typer.Option("--port", help="Port du bureau (avec --web).")] = 8080,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP, show_default=False)] = None,
) -> None:
    """Démonstration hors ligne : un instantané de flux servi en local, un cycle complet et la synthèse.

    L'instantané, daté du 19 au 21 novembre 2026, est lu comme au matin du 23 novembre : ses dates sont
    décalées jusqu'à maintenant, ou jusqu'à --now. Avec --web, l'horloge du bureau part de ce même instant et
    avance ensuite.
    """
    from alerts.digest import render
    from watcher.demo.runner import run_demo

    started = time.monotonic()
    config = base.state.config()
    configure_logging(config.digest.zone, logging.WARNING)  # what goes wrong on the way, in French
    moment = in_zone(instant(now), config.digest.zone) if now is not None else base.state.fixed_now()
    console.print("[bold]Démonstration de la veille Action Patients[/] (hors ligne, instantané embarqué)")
    result = run_demo(config, out, on_source_done=_print_source, now=moment, workers=_workers())
    report, digest_result = result.report, result.digest
    elapsed = time.monotonic() - started
    with session_scope(make_engine(f"sqlite:///{result.database}")) as session:
        scored = queries.scored_items(session)
    decisions = {key: sum(row.score.decision == key for row in scored) for key in DECISION_LABELS}
    stories = len({row.item.story_id for row in scored})
    # One alert a story: the other items of an alerted story go in its thread, they are not alerts of their own.
    alerted = len({row.item.story_id for row in scored if row.score.decision == "alert"})
    console.print(
        f"\n{len(report.sources)} sources collectées ({len(report.errors)} en erreur), "
        f"{report.new} articles enregistrés, regroupés en {stories} récits.\n"
        f"Décisions : {counted(alerted, 'sujet alerté', 'sujets alertés')} "
        f"({counted(decisions['alert'], 'article', 'articles')}, les suites dans le fil de leur alerte), "
        f"{decisions['digest']} pour la synthèse, {decisions['drop']} écartés. "
        f"Messages d'alerte en attente d'envoi (un par sujet et par canal) : {sum(r.alerts for r in report.sources)}.",
        highlight=False,
    )
    console.print("\nFichiers :", highlight=False)
    for path in [*result.files, result.database]:
        console.print(f"  → {path}", highlight=False)
    url = shlex.quote(f"sqlite:///{result.database.resolve()}")
    console.print(
        "\nPour explorer la base de la démonstration (dans ce terminal) :\n"
        f"  export {DATABASE_URL_ENV_VAR}={url}\n"
        "  watcher items\n"
        "  watcher search urgences\n"
        f"  watcher digest --date {digest_result.day.isoformat()}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    preview_lines = render(digest_result, "md").splitlines()[:25]
    console.print("\n[bold]Début de la synthèse[/] :\n", highlight=False)
    console.print("\n".join(preview_lines), markup=False, highlight=False, soft_wrap=True)
    console.print(f"\nTerminé en {elapsed:.1f} s.", highlight=False)
    if web:
        serve_demo(result.database, config, port, moment)


def serve_demo(database: Path, config: Config, port: int, start: datetime | None) -> None:
    """`watcher demo --web`: the demo's database in the desk, with a one-time account (never a default password).

    The desk's clock runs on from `start`, the instant the demo was played at (None: the wall clock).
    """
    from store.db import make_engine, session_scope
    from watcher.demo.runner import demo_sources
    from watcher.web import accounts
    from watcher.web.app import create_app
    from watcher.web.serve import serve

    engine = make_engine(f"sqlite:///{database}")
    clock = clock_from(start)
    password = secrets.token_urlsafe(12)
    with session_scope(engine) as session:
        accounts.add(session, DEMO_ACCOUNT, "admin", password, clock())
    # The demo's sources, as the snapshot names them: the health table then shows them, not sources.yaml's.
    demo_config = config.model_copy(update={"sources": demo_sources("http://127.0.0.1")})
    console.print(
        f"\n[bold]Le bureau[/] : http://127.0.0.1:{port}/ — compte « {DEMO_ACCOUNT} », mot de passe « {password} » "
        "(valable pour cette démonstration seulement ; Ctrl+C pour arrêter)",
        highlight=False,
        soft_wrap=True,
    )
    serve(create_app(engine, demo_config, clock=clock), "127.0.0.1", port)
