"""`watcher run`, the service (with the desk beside it, --web), and `watcher collect`, one cycle now."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from store import queries
from store.db import database_url, redacted, session_scope
from watcher.cli import base
from watcher.cli.base import _digest_line, _engine_ready, _print_source, _workers, app, console, counted, fail
from watcher.config import ConfigError
from watcher.logs import configure_logging

if TYPE_CHECKING:
    from watcher.pipeline import SourceReport


@app.command()
def run(
    web: Annotated[bool, typer.Option("--web", help="Servir aussi le bureau web (processus enfant).")] = False,
    web_host: Annotated[str, typer.Option("--web-host", help="Adresse d'écoute du bureau.")] = "127.0.0.1",
    web_port: Annotated[int, typer.Option("--web-port", help="Port du bureau.")] = 8080,
) -> None:
    """Lancer le service : collecte à intervalle régulier, envoi des alertes et synthèse quotidienne."""
    import os

    from alerts.email import SMTP_URL_ENV_VAR, SmtpConfigError, smtp_from_environment
    from alerts.slack import TOKEN_ENV_VAR, SlackSender
    from store.models import utcnow
    from watcher.delivery_job import deliver as deliver_pass
    from watcher.digest_job import collected_in_window, produce_digest, rebuild_revue, send_digests
    from watcher.ops import OPS_CHANNEL_KEY, ops_channel
    from watcher.ops import check as ops_check
    from watcher.pipeline import worker_name
    from watcher.schedule import Service

    if base.state.now_given is not None:
        raise fail("--now ne s'applique pas à « watcher run » : le service suit l'horloge")
    config = base.state.config()
    configure_logging(config.digest.zone)
    workers = _workers()
    engine = _engine_ready(migrate_apart=True)
    console.print(f"Base : {redacted(database_url())}", highlight=False)
    owner = worker_name()
    slack = SlackSender.from_environment() if os.environ.get(TOKEN_ENV_VAR) else None
    smtp = None
    if os.environ.get(SMTP_URL_ENV_VAR):
        try:
            smtp = smtp_from_environment()
        except SmtpConfigError as exc:
            raise fail(str(exc)) from None
    if slack is None:
        console.print(f"[yellow]{TOKEN_ENV_VAR} absent[/] : les alertes restent en attente dans la base.")

    def digest_job(day: date) -> str:
        if slack is None and smtp is None:
            if not collected_in_window(engine, config, day):
                return "aucune synthèse : rien n'a été collecté dans sa période"
            line = _digest_line(*produce_digest(engine, config, day=day), [])
        else:
            results = send_digests(engine, config, day, owner=owner, slack=slack, smtp=smtp)
            line = " ; ".join(_digest_line(*result) for result in results)
        rebuild_revue(engine, config)  # revue.output_dir set: the public revue follows each digest
        return line

    deliver = (lambda: deliver_pass(engine, config, slack, owner=owner)) if slack is not None else None
    has_ops = slack is not None and ops_channel(config) is not None
    watch = (lambda: ops_check(engine, config, slack, owner=owner, now=utcnow())) if has_ops else None
    if slack is not None and not has_ops:
        console.print(
            f"[yellow]alerts.channels.{OPS_CHANNEL_KEY} absent[/] : une panne du service ne sera visible "
            "que par « watcher status »."
        )
    service = Service(engine, config, digest_job, deliver=deliver, watch=watch, workers=workers)
    if not web:
        asyncio.run(service.run())
        return
    with desk_child(base.state.config_path, web_host, web_port):
        asyncio.run(service.run())


@app.command()
def collect(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Ne collecter que cette source (répétable).")
    ] = None,
) -> None:
    """Lancer un cycle de collecte maintenant, pour toutes les sources actives ou celles indiquées."""
    config = base.state.config()
    configure_logging(config.digest.zone, logging.WARNING)  # what goes wrong on the way, in French
    for name in source or []:
        try:
            config.source(name)  # unknown names fail before any work
        except ConfigError as exc:
            raise fail(str(exc)) from None
    from watcher.pipeline import Collector

    names = source or [s.name for s in config.sources if s.enabled]
    workers = _workers()
    engine = _engine_ready()
    collector = Collector(engine, config, workers=workers, clock=base.state.clock())
    collector.sync_sources()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Collecte", total=len(names))

        def done(report: SourceReport) -> None:
            progress.advance(task)
            progress.console.print(end="")
            _print_source(report)

        try:
            report = asyncio.run(collector.run_cycle(names, on_done=done))
            asyncio.run(collector.index_for_search())  # `watcher search` only reads: the cycle's items are indexed now
        finally:
            collector.close()
    skipped = sorted(set(names) - {r.source for r in report.sources})
    if skipped:
        with session_scope(engine) as session:
            gone = {s.name: s.disabled_reason for s in queries.list_sources(session) if s.disabled_reason}
        for name in skipped:
            if name in gone:
                why = f'désactivée ({gone[name]}) ; « watcher sources enable "{name}" » pour la reprendre'
            else:
                why = "en cours de collecte par un autre processus"
            console.print(f"[yellow]–[/] {name} : ignorée, {why}", highlight=False)
    failed = len(report.errors)
    console.print(
        f"Cycle terminé : {counted(len(report.sources), 'source', 'sources')}, "
        f"{counted(report.new, 'nouvel article', 'nouveaux articles')}, "
        f"{sum(r.updated for r in report.sources)} mis à jour, {counted(failed, 'source', 'sources')} en erreur.",
        highlight=False,
    )


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
