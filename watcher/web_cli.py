"""`watcher web`, and the desk beside `watcher run --web` and `watcher demo --web`. Registered by watcher/cli.py."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from store.db import database_url, redacted
from store.models import clock_from
from watcher import cli as base
from watcher.config import Config

DEMO_ACCOUNT = "demo"

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


@contextmanager
def desk_child(config_path: Path | None, host: str, port: int) -> Iterator[None]:
    """`watcher run --web`: the desk in a child process, so that a page never slows a collection; stopped with it."""
    command = [sys.executable, "-m", "watcher"]
    if config_path is not None:
        command += ["--config", str(config_path)]
    child = subprocess.Popen([*command, "web", "--host", host, "--port", str(port)])
    try:
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


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
    base.console.print(
        f"\n[bold]Le bureau[/] : http://127.0.0.1:{port}/ — compte « {DEMO_ACCOUNT} », mot de passe « {password} » "
        "(valable pour cette démonstration seulement ; Ctrl+C pour arrêter)",
        highlight=False,
        soft_wrap=True,
    )
    serve(create_app(engine, demo_config, clock=clock), "127.0.0.1", port)
