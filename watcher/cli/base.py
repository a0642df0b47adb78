"""The `watcher` application, the options of each invocation and the helpers every command group uses.

No command is defined here: each group is a module of watcher/cli/, registered by watcher/cli/__init__.py.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from sqlalchemy import Engine

from store.db import make_engine, schema_is_current, upgrade
from store.models import Clock, FetchOutcome, clock_at
from watcher import when
from watcher.config import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, Config, load_config
from watcher.french_cli import FrenchGroup
from watcher.wording import counted

if TYPE_CHECKING:
    from alerts.digest import Digest
    from alerts.digest_delivery import DigestOutcome
    from watcher.pipeline import SourceReport

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
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")

console = Console()
errors = Console(stderr=True)


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


# Read as `base.state` by the commands: the callback below replaces it on every invocation.
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


_DIGEST_STATUS = {"sent": "envoyée", "already": "déjà envoyée", "busy": "en cours ailleurs"}


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


def main() -> None:
    app()
