"""What goes out: `watcher digest`, `watcher deliver` (alerts) and `watcher alerts test`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from sqlalchemy import Engine

from watcher import when
from watcher.cli import base
from watcher.cli.base import _engine_ready, _outcome_words, app, console, counted, day_option, errors, fail
from watcher.config import Config

if TYPE_CHECKING:
    from alerts.slack import SlackSender

alerts_app = typer.Typer(help="Alertes Slack.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@app.command()
def digest(
    day: Annotated[
        str | None,
        typer.Option("--date", help=f"Jour de la synthèse : {when.DAY_FORMATS} (par défaut aujourd'hui)."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Dossier de sortie (par défaut digest.output_dir).")] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Envoyer aussi la synthèse (e-mail et Slack), une seule fois par jour.")
    ] = False,
) -> None:
    """Écrire la synthèse d'un jour (HTML et Markdown) et, avec --send, l'envoyer."""
    from watcher.digest_job import produce_digest

    config = base.state.config()
    target = day_option(day, "--date") or base.state.now().astimezone(config.digest.zone).date()
    engine = _engine_ready()
    if send:
        _send_digests(engine, config, target, out)
        return
    result, files = produce_digest(engine, config, day=target, out_dir=out, now=base.state.fixed_now())
    console.print(f"{result.title} : {result.story_count} sujets, {result.counts.collected} articles collectés.")
    for path in files:
        console.print(f"  → {path}", highlight=False)


_DIGEST_COLOURS = {"sent": "green", "busy": "yellow", "error": "red"}


def _send_digests(engine: Engine, config: Config, target: date, out: Path | None) -> None:
    from alerts.email import SmtpConfigError, smtp_from_environment
    from alerts.slack import SlackConfigError, SlackSender
    from watcher.digest_job import send_digests
    from watcher.pipeline import worker_name

    smtp = slack = None
    if config.digest.recipients:
        try:
            smtp = smtp_from_environment()
        except SmtpConfigError as exc:
            raise fail(f"envoi par e-mail impossible : {exc}") from None
    if config.digest.slack_channel:
        try:
            slack = SlackSender.from_environment()
        except SlackConfigError as exc:
            raise fail(f"envoi sur Slack impossible : {exc}") from None
    results = send_digests(
        engine, config, target, owner=worker_name(), slack=slack, smtp=smtp, out_dir=out, now=base.state.fixed_now()
    )
    if not results:
        console.print(f"Aucune synthèse envoyée : rien n'a été collecté dans la période du {target.isoformat()}.")
    failed = False
    for result, files, outcomes in results:
        console.print(f"{result.subject} ({counted(result.story_count, 'sujet', 'sujets')})", highlight=False)
        for path in files:
            console.print(f"  → {path}", highlight=False)
        for outcome in outcomes:
            where, label = _outcome_words(outcome)
            colour = _DIGEST_COLOURS.get(outcome.status)
            console.print(
                f"  {where} : " + (f"[{colour}]{escape(label)}[/]" if colour else escape(label)), highlight=False
            )
            failed = failed or outcome.status == "error"
    if failed:
        raise typer.Exit(1)


def _slack_sender() -> SlackSender:
    from alerts.slack import SlackConfigError, SlackSender

    try:
        return SlackSender.from_environment()
    except SlackConfigError as exc:
        raise fail(str(exc)) from None


@app.command()
def deliver() -> None:
    """Une passe d'envoi des alertes en attente (Slack)."""
    from watcher.delivery_job import deliver as deliver_pass
    from watcher.pipeline import worker_name

    config = base.state.config()
    sender = _slack_sender()
    engine = _engine_ready()
    report = deliver_pass(engine, config, sender, owner=worker_name(), now=base.state.fixed_now())
    updated = f", {counted(report.updated, 'alerte mise à jour', 'alertes mises à jour')}" if report.updated else ""
    if report.held:
        console.print(f"Heures calmes : les alertes attendent le matin{updated}.", highlight=False)
    else:
        # The replies posted beside the alerts, named apart: a merge notice or a new outlet is not a new event.
        replies = "".join(
            f", {counted(count, one, many)}"
            for count, one, many in (
                (report.follow_ups, "suite en fil", "suites en fil"),
                (report.notices, "avis de fusion", "avis de fusion"),
            )
            if count
        )
        console.print(
            f"{counted(report.alerts, 'alerte envoyée', 'alertes envoyées')}{replies}, "
            f"{counted(report.adopted, 'déjà publiée retrouvée', 'déjà publiées retrouvées')}{updated}, "
            f"{report.skipped} sans nouveauté, {report.retried} à réessayer, "
            f"{counted(report.failed, 'échec', 'échecs')}.",
            highlight=False,
        )
    for error in report.errors:
        errors.print(f"[yellow]attention[/] : {error}", highlight=False)
    if report.failed:
        raise typer.Exit(1)


@alerts_app.command("test")
def alerts_test() -> None:
    """Envoyer un message de test à chaque canal Slack configuré."""
    from slack_sdk.errors import SlackApiError

    from alerts.slack import slack_error
    from watcher.delivery_job import configured_channels

    config = base.state.config()
    sender = _slack_sender()
    stamp = base.state.now().astimezone(config.digest.zone)
    channels = configured_channels(config)
    failures = 0
    for position, channel in enumerate(channels):
        try:
            channel_id = sender.channel_id(channel)
            sender.post(
                channel_id,
                f"Message de test de la veille Action Patients ({stamp:%d/%m/%Y %H:%M}) : "
                "ce canal reçoit bien les alertes.",
                None,
                f"test-{channel_id}-{stamp.timestamp():.0f}",
            )
            console.print(f"[green]✓[/] {channel} : message envoyé", highlight=False)
        except Exception as exc:
            failures += 1
            message, _ = slack_error(exc)
            console.print(f"[red]✗[/] {channel} : {message}", highlight=False)
            if not isinstance(exc, SlackApiError):
                # Slack itself did not answer (after the client's retries): the other channels would wait as long
                # for the same answer, half a minute for seven channels.
                for untried in channels[position + 1 :]:
                    failures += 1
                    console.print(f"[red]✗[/] {untried} : non essayé, Slack n'a pas répondu", highlight=False)
                break
    if failures:
        raise typer.Exit(1)
