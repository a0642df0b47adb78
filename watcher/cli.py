"""The `watcher` command: a thin French layer over the library functions."""

from __future__ import annotations

import asyncio
import json
import logging
import shlex
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from store import queries, verdicts
from store.db import (
    DATABASE_URL_ENV_VAR,
    current_revision,
    database_url,
    make_engine,
    redacted,
    schema_is_current,
    session_scope,
    upgrade,
)
from store.models import Clock, FetchOutcome, clock_at
from store.splits import split_count
from watcher import when
from watcher.config import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, Config, ConfigError, load_config
from watcher.french_cli import FrenchGroup
from watcher.logs import configure_logging
from watcher.rules_stats import rule_stats, splits_line

if TYPE_CHECKING:
    from alerts.digest import Digest
    from alerts.digest_delivery import DigestOutcome
    from alerts.slack import SlackSender
    from watcher.pipeline import SourceReport
    from watcher.preview import PreviewRow

app = typer.Typer(
    cls=FrenchGroup,  # French help and errors, no traceback
    help="Veille du collectif Action Patients : presse, Parlement et institutions, collectés, triés et résumés.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="Vérifier, lister et surveiller les sources.", no_args_is_help=True)
db_app = typer.Typer(help="Gérer la base de données.", no_args_is_help=True)
rules_app = typer.Typer(help="Mesurer les règles de pertinence.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")
alerts_app = typer.Typer(help="Alertes Slack.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
app.add_typer(rules_app, name="rules")

console = Console()
errors = Console(stderr=True)

_DECISION_LABELS = {"alert": "alerte", "digest": "synthèse", "drop": "écarté"}


class State:
    """Options of the current invocation; reset by the callback on every call."""

    def __init__(self, config_path: Path | None = None, now: datetime | None = None):
        self.config_path = config_path
        self.now_given = now  # as written: without an offset, a time in the digest's time zone
        self._config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)  # FrenchGroup reports a ConfigError, with exit code 2
        return self._config

    def fixed_now(self) -> datetime | None:
        """The instant given with --now, or None: the wall clock."""
        return None if self.now_given is None else in_zone(self.now_given, self.config().digest.zone)

    def clock(self) -> Clock:
        return clock_at(self.fixed_now())

    def now(self) -> datetime:
        return self.clock()()


state = State()

NOW_HELP = (
    "Instant pris pour « maintenant », AAAA-MM-JJTHH:MM (heure du fuseau de la synthèse, sauf décalage indiqué) : "
    "pour rejouer une journée ou une démonstration. Les commandes s'y arrêtent ; le bureau web (web, demo --web) "
    "part de cet instant et avance ensuite. Par défaut, l'horloge."
)


def instant(text: str) -> datetime:
    """« 2026-11-23T07:00 », or with an offset (« 2026-11-23T06:00Z »); checked before any work."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"--now : instant invalide « {text} » (format attendu : AAAA-MM-JJTHH:MM)") from None


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """An instant without an offset is read in `zone`; in UTC."""
    return (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(UTC)


def counted(count: int, singular: str, plural: str) -> str:
    """« 1 alerte », « 3 alertes »; French uses the singular for 0 and 1."""
    return f"{count} {singular if count <= 1 else plural}"


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]Erreur[/] : {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def day_option(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return when.parse_day(text)
    except ValueError as exc:
        raise fail(f"{option} : {exc}") from None


def since_option(text: str | None, zone: ZoneInfo) -> datetime | None:
    """What `--since` names, the same way in every command: a duration back from now, or a day."""
    if text is None:
        return None
    try:
        return when.parse_since(text, state.now(), zone)
    except ValueError as exc:
        raise fail(f"--since : {exc}") from None


@app.callback()
def main_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help=f"Fichier de configuration (par défaut ${CONFIG_ENV_VAR} ou ./{DEFAULT_CONFIG_PATH}).",
            show_default=False,
        ),
    ] = None,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP, show_default=False)] = None,
) -> None:
    global state
    state = State(config, instant(now) if now is not None else None)


def _workers() -> bool:
    from watcher.workers import WorkersConfigError, workers_wanted

    try:
        return workers_wanted()
    except WorkersConfigError as exc:
        raise fail(str(exc)) from None


def _engine_ready(*, migrate_apart: bool = False) -> Engine:
    engine = make_engine()
    with engine.connect():  # an unreachable database is reported as such (FrenchGroup), not as a failed migration
        pass
    migrating = not schema_is_current(engine)
    if migrate_apart and migrating:
        # A service runs for months: its migrations run in a short child process, so that it never carries Alembic.
        migrated = subprocess.run([sys.executable, "-m", "watcher", "db", "upgrade"], capture_output=True, text=True)
        if migrated.returncode:
            lines = (migrated.stderr or migrated.stdout).strip().splitlines()
            said = lines[-1].removeprefix("Erreur : ") if lines else f"code {migrated.returncode}"
            raise fail(f"mise à jour de la base impossible : {said}")
    upgrade(engine)
    if migrating:
        from watcher.search import catch_up

        # A migration may empty the search index (0010: new stems); it is filled again once, here.
        catch_up(engine)
    return engine


def _print_source(report: SourceReport) -> None:
    if report.outcome == FetchOutcome.ERROR:
        console.print(f"[red]✗[/] {report.source} : [red]erreur[/] — {report.error}", highlight=False)
        return
    if report.outcome == FetchOutcome.NOT_MODIFIED:
        console.print(f"[dim]=[/] {report.source} : inchangé (flux identique)", highlight=False)
        return
    line = (
        f"{counted(report.new, 'nouveau', 'nouveaux')}, {report.updated} mis à jour, "
        f"{counted(report.unchanged, 'inchangé', 'inchangés')}"
    )
    if report.alerts:
        line += f", {counted(report.alerts, 'alerte', 'alertes')} en attente"
    mark = "[green]✓[/]" if report.new else "[dim]·[/]"
    console.print(f"{mark} {report.source} : {line}", highlight=False)
    if report.warning:
        console.print(f"   [yellow]attention[/] : {report.warning}", highlight=False)


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

    if state.now_given is not None:
        raise fail("--now ne s'applique pas à « watcher run » : le service suit l'horloge")
    config = state.config()
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
    from watcher.web_cli import desk_child

    with desk_child(state.config_path, web_host, web_port):
        asyncio.run(service.run())


@app.command()
def collect(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Ne collecter que cette source (répétable).")
    ] = None,
) -> None:
    """Lancer un cycle de collecte maintenant, pour toutes les sources actives ou celles indiquées."""
    config = state.config()
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
    collector = Collector(engine, config, workers=workers, clock=state.clock())
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


@app.command("preview")
def preview_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FICHIER_OU_URL",
            help="Flux RSS/Atom (fichier ou URL) ou fichier .jsonl d'articles (sans objet avec --archive).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Une ligne JSON par article.")] = False,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Juger chaque article comme venu de cette source de sources.yaml (son poids et ses thèmes par "
            "défaut), comme le fait la collecte.",
        ),
    ] = None,
    archive: Annotated[
        bool,
        typer.Option(
            "--archive",
            help="Simulation sur les articles déjà collectés : lesquels changeraient de décision avec la "
            "configuration de --config (entrent, sortent, alerte ↔ synthèse) ; rien n'est enregistré.",
        ),
    ] = False,
    days: Annotated[
        int, typer.Option("--days", help="Avec --archive : les articles collectés ces N derniers jours.")
    ] = 30,
    other_config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Avec --archive : l'AUTRE configuration, comparée à celle en service (l'option générale "
            "« watcher --config », placée avant « preview », reste celle en service).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Évaluer des articles sans rien enregistrer (pour tester les règles), ou simuler une autre configuration
    sur les archives (--archive)."""
    if archive:
        _preview_archive(inputs or [], as_json, source, days, other_config)
        return
    if other_config is not None:
        raise fail("--config après « preview » ne sert qu'avec --archive (la configuration à comparer)", code=2)
    if not inputs:
        raise fail("argument manquant : FICHIER_OU_URL", code=2)
    from watcher.preview import preview

    config = state.config()
    spec = None
    if source:
        try:
            spec = config.source(source)
        except ConfigError as exc:
            raise fail(str(exc)) from None
    run = preview(inputs, config, spec, now=state.fixed_now())
    rows = run.rows
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row.as_json(), ensure_ascii=False) + "\n")
    elif rows or not run.unreadable:
        console.print(_preview_table(rows))
    # After the results, where they are seen last; each one names its input.
    for problem in run.unreadable:
        errors.print(f"[bold red]Erreur[/] : {escape(problem)}", highlight=False, soft_wrap=True)
    if run.unreadable:
        raise fail(f"{counted(len(run.unreadable), 'entrée illisible', 'entrées illisibles')} sur {len(inputs)}")


def _preview_table(rows: list[PreviewRow]) -> Table:
    table = Table(title=f"Aperçu : {len(rows)} articles", show_lines=False)
    for column in ("Décision", "Score", "Thèmes", "Récit", "Titre", "Pourquoi"):
        table.add_column(column, overflow="fold")
    for row in rows:
        judgement = row.judgement
        why = judgement.why[:3] + ([f"… +{len(judgement.why) - 3}"] if len(judgement.why) > 3 else [])
        table.add_row(
            _DECISION_LABELS[judgement.decision],
            str(judgement.score),
            ", ".join(judgement.topics) or "—",
            row.story,
            row.item.title,
            "\n".join(why) or "aucune règle",
        )
    return table


def _preview_archive(inputs: list[str], as_json: bool, source: str | None, days: int, other: Path | None) -> None:
    """`preview --archive`: the stored items another configuration would decide otherwise (watcher/whatif.py)."""
    from watcher.whatif import CHANGE_LABELS, MAX_DAYS, Change, what_if

    if inputs:
        raise fail(f"--archive rejuge les articles déjà collectés : retirez « {inputs[0]} »", code=2)
    if source is not None:
        raise fail("--source ne sert pas avec --archive : chaque article garde sa source", code=2)
    if other is None:
        raise fail("--archive demande --config AUTRE.yaml, la configuration à comparer à celle en service", code=2)
    if not 1 <= days <= MAX_DAYS:
        raise fail(f"--days : {days} jours, hors limites (de 1 à {MAX_DAYS})", code=2)
    running = state.config()
    candidate = load_config(other)  # a fault is worded with its line by FrenchGroup, as for the running one
    engine = _engine_ready()
    result = what_if(engine, running, candidate, now=state.now(), days=days)
    if as_json:
        for changed in result.changes:
            sys.stdout.write(json.dumps(changed.as_json(), ensure_ascii=False) + "\n")
        return
    zone = running.digest.zone

    def moment(instant: datetime) -> str:
        return instant.astimezone(zone).strftime("%d/%m/%Y %H:%M")

    counts = result.counts()
    lines = [
        f"Simulation : {escape(str(other))} comparé à la configuration en service, sur "
        f"{counted(result.examined, 'article collecté', 'articles collectés')} "
        f"du {moment(result.start)} au {moment(result.end)}.",
        "",
        *(f"  {counts[change]:>5} {CHANGE_LABELS[change]}" for change in Change),
        f"  {result.rescored:>5} changent de note sans changer de décision",
    ]
    for change in Change:
        changed_items = result.of(change)
        if not changed_items:
            continue
        lines += ["", f"[bold]{CHANGE_LABELS[change].capitalize()}[/]"]
        for changed in changed_items:
            before, after = changed.before, changed.after
            lines += [
                f"• {escape(changed.title)}",
                f"  {escape(changed.source)} · {moment(changed.published)} · n° {changed.item_id}",
                f"  {_DECISION_LABELS[before.decision]} {before.score} → "
                f"[bold]{_DECISION_LABELS[after.decision]} {after.score}[/]"
                + (f" ({escape(after.alert_reason)})" if after.alert_reason else "")
                + (" (quota d'alertes du jour atteint)" if after.held else ""),
            ]
    if not result.changes:
        lines += ["", "Aucun article ne changerait de décision."]
    console.print("\n".join(lines), highlight=False)


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

    config = state.config()
    target = day_option(day, "--date") or state.now().astimezone(config.digest.zone).date()
    engine = _engine_ready()
    if send:
        _send_digests(engine, config, target, out)
        return
    result, files = produce_digest(engine, config, day=target, out_dir=out, now=state.fixed_now())
    console.print(f"{result.title} : {result.story_count} sujets, {result.counts.collected} articles collectés.")
    for path in files:
        console.print(f"  → {path}", highlight=False)


_DIGEST_STATUS = {"sent": "envoyée", "already": "déjà envoyée", "busy": "en cours ailleurs"}
_DIGEST_COLOURS = {"sent": "green", "busy": "yellow", "error": "red"}


def _outcome_words(outcome: DigestOutcome) -> tuple[str, str]:
    """Where a digest went and how it went, as two plain French phrases."""
    where = "e-mail" if outcome.channel == "email" else f"Slack {outcome.channel}"
    return where, _DIGEST_STATUS.get(outcome.status, f"échec — {outcome.detail}")


def _digest_line(result: Digest, files: list[Path], outcomes: list[DigestOutcome]) -> str:
    """One log line for a digest: its title, size, files and deliveries; no Python repr."""
    line = (
        f"{result.title} : {counted(result.story_count, 'sujet', 'sujets')}, "
        f"{counted(result.counts.collected, 'article', 'articles')} ; fichiers {', '.join(map(str, files))}"
    )
    return line + "".join(" ; {} : {}".format(*_outcome_words(outcome)) for outcome in outcomes)


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
        engine, config, target, owner=worker_name(), slack=slack, smtp=smtp, out_dir=out, now=state.fixed_now()
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

    config = state.config()
    sender = _slack_sender()
    engine = _engine_ready()
    report = deliver_pass(engine, config, sender, owner=worker_name(), now=state.fixed_now())
    updated = f", {counted(report.updated, 'alerte mise à jour', 'alertes mises à jour')}" if report.updated else ""
    if report.held:
        console.print(f"Heures calmes : les alertes attendent le matin{updated}.", highlight=False)
    else:
        console.print(
            f"{counted(report.sent, 'alerte envoyée', 'alertes envoyées')}, "
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
    from alerts.slack import slack_error
    from watcher.delivery_job import configured_channels

    config = state.config()
    sender = _slack_sender()
    stamp = state.now().astimezone(config.digest.zone)
    failures = 0
    for channel in configured_channels(config):
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
    if failures:
        raise typer.Exit(1)


@app.command()
def items(
    since: Annotated[str | None, typer.Option("--since", help=f"Collectés depuis : {when.SINCE_HELP}.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Clé du thème (hopital, greve, ame…).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Nombre maximum d'articles.")] = 50,
) -> None:
    """Lister les articles enregistrés, les mieux notés d'abord."""
    config = state.config()
    if topic is not None and topic not in config.topics:
        raise fail(f"thème inconnu « {topic} » (thèmes : {', '.join(config.topics)})")
    start = since_option(since, config.digest.zone)
    engine = _engine_ready()
    with session_scope(engine) as session:
        rows = queries.scored_items(session, collected_from=start, topic=topic, limit=limit)
    table = Table(title=f"{len(rows)} articles")
    for column in ("N°", "Publié", "Source", "Score", "Décision", "Thèmes", "Titre"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.item.id),  # what `watcher verdict` takes
            row.item.published_at.astimezone(config.digest.zone).strftime("%d/%m/%Y %H:%M"),
            row.item.publisher or row.source.name,
            str(row.score.score),
            _DECISION_LABELS.get(row.score.decision, row.score.decision),
            ", ".join(row.score.topics) or "—",
            row.item.title,
        )
    console.print(table)


@app.command("verdict")
def verdict_command(
    item: Annotated[
        int, typer.Argument(metavar="ARTICLE", help="Numéro de l'article (voir « watcher items »).", show_default=False)
    ],
    topic: Annotated[str, typer.Option("--topic", help="Clé du thème (hopital, greve, ame…).", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", help="L'article est pertinent pour ce thème.")] = False,
    no: Annotated[bool, typer.Option("--no", help="L'article est hors sujet pour ce thème.")] = False,
    who: Annotated[str | None, typer.Option("--who", help="Votre nom (par défaut $USER).")] = None,
) -> None:
    """Donner son avis sur un article pour un thème : pertinent (--yes) ou hors sujet (--no)."""
    config = state.config()
    if topic not in config.topics:
        raise fail(f"thème inconnu « {topic} » (thèmes : {', '.join(config.topics)})")
    if yes == no:
        raise fail("indiquez soit --yes (pertinent), soit --no (hors sujet)")
    from watcher.desk import default_who

    author = who or default_who()  # as every desk command from the terminal names its author
    value = "pertinent" if yes else "hors_sujet"
    engine = _engine_ready()
    try:
        with session_scope(engine) as session:
            changed = verdicts.record_verdict(
                session, item_id=item, topic=topic, verdict=value, who=author, now=state.now()
            )
    except verdicts.UnknownItemError:
        raise fail(f"article n° {item} introuvable (voir « watcher items »)") from None
    label = "pertinent" if yes else "hors sujet"
    if changed:
        console.print(f"Avis enregistré : article n° {item}, thème {topic} → {label} (par {author}).", highlight=False)
    else:
        console.print(f"Avis inchangé : article n° {item}, thème {topic} → {label} (par {author}).", highlight=False)


@rules_app.command("stats")
def rules_stats_command() -> None:
    """Pour chaque règle : déclenchements, et précision mesurée sur les avis donnés."""
    engine = _engine_ready()
    with session_scope(engine) as session:
        stats = rule_stats(verdicts.scored_reasons(session), verdicts.verdicts(session))
        splits = split_count(session)
    if not stats:
        console.print("Aucune règle déclenchée pour l'instant : lancez « watcher collect ».")
        console.print(splits_line(splits), highlight=False)
        return
    table = Table(title="Règles : déclenchements et précision d'après les avis")
    for column in ("Thème", "Règle", "Déclenchements", "Avis", "Précision"):
        table.add_column(column, overflow="fold")
    for rule in stats:
        precision = "—" if rule.precision is None else f"{rule.precision:.0%}".replace("%", " %")
        table.add_row(rule.topic, rule.label, str(rule.hits), str(rule.judged), precision)
    console.print(table)
    console.print(
        "Précision : part des avis qui donnent raison à la règle (pertinent pour un terme, "
        "hors sujet pour une pénalité, un plafond ou un contexte requis absent).",
        highlight=False,
    )
    console.print(splits_line(splits), highlight=False)


@sources_app.command("check")
def sources_check() -> None:
    """Valider le fichier de configuration."""
    config = state.config()
    active = sum(source.enabled for source in config.sources)
    console.print(
        f"[green]Configuration valide[/] : {len(config.sources)} sources ({active} actives), "
        f"{len(config.topics)} thèmes, {len(config.watchlist.members)} associations membres.",
        highlight=False,
    )


@sources_app.command("list")
def sources_list() -> None:
    """Lister les sources configurées."""
    config = state.config()
    table = Table(title=f"{len(config.sources)} sources")
    for column in ("Nom", "Type", "Catégorie", "Intervalle", "Thèmes", "Active", "Adresse"):
        table.add_column(column, overflow="fold")
    for source in config.sources:
        minutes = int(source.interval.total_seconds() // 60)
        table.add_row(
            source.name,
            source.kind,
            source.category,
            f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min",
            ", ".join(source.topics) or "—",
            "oui" if source.enabled else "non",
            source.url,
        )
    console.print(table)


@sources_app.command("health")
def sources_health(
    only_broken: Annotated[bool, typer.Option("--en-panne", help="N'afficher que les sources en panne.")] = False,
) -> None:
    """État de santé de chaque source : dernier succès, dernière erreur, rythme de publication, silence suspect."""
    from store.health import source_health_rows
    from watcher.health import assess_all, with_configured
    from watcher.pipeline import source_specs

    config = state.config()
    engine = _engine_ready()
    now = state.now()
    with session_scope(engine) as session:
        rows = with_configured(source_health_rows(session, now), source_specs(config))
    health = assess_all(rows, now, config.digest.zone)
    shown = [h for h in health if h.broken] if only_broken else health
    zone = config.digest.zone

    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M") if moment else "—"

    table = Table(title=f"Santé des sources : {sum(h.broken for h in health)} en panne sur {len(health)}")
    for column in ("Source", "État", "Dernier succès", "Erreurs", "Articles / 7 j", "Rythme", "Constat"):
        table.add_column(column, overflow="fold")
    styles = {"en_erreur": "red", "silencieuse": "yellow", "desactivee": "red", "en_pause": "dim"}
    for h in shown:
        style = styles.get(h.status, "green")
        table.add_row(
            h.name,
            f"[{style}]{h.label}[/]",
            when(h.last_success_at),
            str(h.consecutive_errors),
            str(int(h.items_per_week)),
            h.rhythm,
            h.verdict,
        )
    console.print(table)


@sources_app.command("coverage")
def sources_coverage(
    days: Annotated[int, typer.Option("--days", min=1, help="Les récits vus pour la première fois ces N jours.")] = 7,
    now: Annotated[
        str | None, typer.Option("--now", hidden=True, help="Fin de la période (ISO 8601), pour les tests.")
    ] = None,
) -> None:
    """Audit de couverture : ce que seuls Google Actualités ou Mastodon ont vu, et les flux directs en retard.

    N'écrit rien dans la base.
    """
    from datetime import timedelta

    from store.coverage import story_sightings
    from watcher.coverage import coverage_report, render
    from watcher.status import StatusUnavailable, readable_engine

    config = state.config()
    try:
        end = datetime.fromisoformat(now) if now else state.now()
    except ValueError:
        raise fail(f"moment invalide « {now} » (format attendu : AAAA-MM-JJTHH:MM+01:00)", 2) from None
    if end.tzinfo is None:
        end = end.replace(tzinfo=config.digest.zone)
    start = end - timedelta(days=days)
    try:
        engine = readable_engine()
    except StatusUnavailable as exc:
        raise fail(str(exc)) from None
    try:
        with session_scope(engine) as session:
            rows = story_sightings(session, start, end)
    finally:
        engine.dispose()
    for line in render(coverage_report(config, rows, start, end), config.digest.zone):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


@sources_app.command("enable")
def sources_enable(
    name: Annotated[str, typer.Argument(metavar="SOURCE", help="Nom de la source, tel que dans sources.yaml.")],
) -> None:
    """Réactiver une source désactivée parce que le site a déclaré son flux supprimé (HTTP 410)."""
    from store.sources import enable_source
    from watcher.pipeline import Collector

    config = state.config()
    try:
        config.source(name)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    engine = _engine_ready()
    Collector(engine, config, clock=state.clock()).sync_sources()
    with session_scope(engine) as session:
        source = enable_source(session, name, state.now())
        enabled_in_config = source is not None and source.enabled
    console.print(f"Source « {name} » réactivée : elle sera collectée au prochain cycle.", highlight=False)
    if not enabled_in_config:
        console.print("[yellow]attention[/] : elle reste en pause dans sources.yaml (enabled: false).")


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

    config = state.config()
    try:
        moment = datetime.fromisoformat(now) if now else state.now()
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


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Créer ou mettre à jour le schéma de la base (migrations Alembic)."""
    engine = _engine_ready()
    console.print(f"Base à jour (révision {current_revision(engine)}) : {redacted(database_url())}", highlight=False)


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
    config = state.config()
    configure_logging(config.digest.zone, logging.WARNING)  # what goes wrong on the way, in French
    moment = in_zone(instant(now), config.digest.zone) if now is not None else state.fixed_now()
    console.print("[bold]Démonstration de la veille Action Patients[/] (hors ligne, instantané embarqué)")
    result = run_demo(config, out, on_source_done=_print_source, now=moment, workers=_workers())
    report, digest_result = result.report, result.digest
    elapsed = time.monotonic() - started
    with session_scope(make_engine(f"sqlite:///{result.database}")) as session:
        scored = queries.scored_items(session)
    decisions = {key: sum(row.score.decision == key for row in scored) for key in _DECISION_LABELS}
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
        from watcher.web_cli import serve_demo

        serve_demo(result.database, config, port, moment)


def main() -> None:
    app()


# The coordinator's commands (flag, tribunes, mentions, stories, observatoire, revue), those over the archive
# (search, export, OPML) and the web desk's (web, users) register themselves on `app`.
from watcher import (  # noqa: E402, F401
    archive_cli,
    desk_cli,
    observatory_cli,
    revue_cli,
    stories_cli,
    users_cli,
    web_cli,
)
