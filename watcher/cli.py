"""The `watcher` command: a thin French layer over the library functions."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from store import queries
from store.db import current_revision, database_url, make_engine, redacted, session_scope, upgrade
from store.models import FetchOutcome
from watcher.config import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, Config, ConfigError, load_config
from watcher.pipeline import Collector, SourceReport
from watcher.preview import PreviewInputError, preview

app = typer.Typer(
    help="Veille du collectif Action Patients : presse, Parlement et institutions, collectés, triés et résumés.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="Vérifier et lister les sources.", no_args_is_help=True)
db_app = typer.Typer(help="Gérer la base de données.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")

console = Console()
errors = Console(stderr=True)

_DECISION_LABELS = {"alert": "alerte", "digest": "synthèse", "drop": "écarté"}


class State:
    """Options of the current invocation; reset by the callback on every call."""

    def __init__(self, config_path: Path | None = None):
        self.config_path = config_path
        self._config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                errors.print(f"[bold red]Configuration invalide[/]\n{exc}", highlight=False, soft_wrap=True)
                raise typer.Exit(2) from None
        return self._config


state = State()


def counted(count: int, singular: str, plural: str) -> str:
    """« 1 alerte », « 3 alertes »; French uses the singular for 0 and 1."""
    return f"{count} {singular if count <= 1 else plural}"


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]Erreur[/] : {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


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
) -> None:
    global state
    state = State(config)


def _engine_ready() -> Engine:
    engine = make_engine()
    upgrade(engine)
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
def run() -> None:
    """Lancer le service : collecte à intervalle régulier et synthèse quotidienne."""
    from watcher.digest_job import produce_digest
    from watcher.schedule import Service

    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[RichHandler(show_path=False)])
    config = state.config()
    engine = _engine_ready()
    console.print(f"Base : {redacted(database_url())}", highlight=False)
    service = Service(engine, config, lambda day: produce_digest(engine, config, day=day)[1])
    asyncio.run(service.run())


@app.command()
def collect(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Ne collecter que cette source (répétable).")
    ] = None,
) -> None:
    """Lancer un cycle de collecte maintenant, pour toutes les sources actives ou celles indiquées."""
    config = state.config()
    for name in source or []:
        try:
            config.source(name)  # unknown names fail before any work
        except ConfigError as exc:
            raise fail(str(exc)) from None
    names = source or [s.name for s in config.sources if s.enabled]
    engine = _engine_ready()
    collector = Collector(engine, config)
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

        report = asyncio.run(collector.run_cycle(names, on_done=done))
    failed = len(report.errors)
    console.print(
        f"\nCycle terminé : {counted(len(report.sources), 'source', 'sources')}, "
        f"{counted(report.new, 'nouvel article', 'nouveaux articles')}, "
        f"{sum(r.updated for r in report.sources)} mis à jour, {counted(failed, 'source', 'sources')} en erreur.",
        highlight=False,
    )


@app.command("preview")
def preview_command(
    inputs: Annotated[list[str], typer.Argument(help="Flux RSS/Atom (fichier ou URL) ou fichier .jsonl d'articles.")],
    as_json: Annotated[bool, typer.Option("--json", help="Une ligne JSON par article.")] = False,
) -> None:
    """Évaluer des articles sans rien enregistrer (pour tester les règles)."""
    try:
        rows = preview(inputs, state.config())
    except PreviewInputError as exc:
        raise fail(str(exc)) from None
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row.as_json(), ensure_ascii=False) + "\n")
        return
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
    console.print(table)


@app.command()
def digest(
    day: Annotated[
        str | None, typer.Option("--date", help="Jour de la synthèse, AAAA-MM-JJ (par défaut aujourd'hui).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Dossier de sortie (par défaut digest.output_dir).")] = None,
) -> None:
    """Écrire la synthèse d'un jour (HTML et Markdown)."""
    from watcher.digest_job import produce_digest

    config = state.config()
    try:
        target = date.fromisoformat(day) if day else datetime.now(config.digest.zone).date()
    except ValueError:
        raise fail(f"date invalide « {day} » (format attendu : AAAA-MM-JJ)") from None
    engine = _engine_ready()
    result, files = produce_digest(engine, config, day=target, out_dir=out)
    console.print(f"{result.title} : {result.story_count} sujets, {result.counts.collected} articles collectés.")
    for path in files:
        console.print(f"  → {path}", highlight=False)


@app.command()
def items(
    since: Annotated[str | None, typer.Option("--since", help="Collectés depuis ce jour (AAAA-MM-JJ).")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Clé du thème (hopital, greve, ame…).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Nombre maximum d'articles.")] = 50,
) -> None:
    """Lister les articles enregistrés, les mieux notés d'abord."""
    config = state.config()
    if topic is not None and topic not in config.topics:
        raise fail(f"thème inconnu « {topic} » (thèmes : {', '.join(config.topics)})")
    start = None
    if since:
        try:
            start = datetime.combine(date.fromisoformat(since), datetime.min.time(), tzinfo=config.digest.zone)
        except ValueError:
            raise fail(f"date invalide « {since} » (format attendu : AAAA-MM-JJ)") from None
    engine = _engine_ready()
    with session_scope(engine) as session:
        rows = queries.scored_items(session, collected_from=start, topic=topic, limit=limit)
    table = Table(title=f"{len(rows)} articles")
    for column in ("Publié", "Source", "Score", "Décision", "Thèmes", "Titre"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.item.published_at.astimezone(config.digest.zone).strftime("%d/%m/%Y %H:%M"),
            row.item.publisher or row.source.name,
            str(row.score.score),
            _DECISION_LABELS.get(row.score.decision, row.score.decision),
            ", ".join(row.score.topics) or "—",
            row.item.title,
        )
    console.print(table)


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


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Créer ou mettre à jour le schéma de la base (migrations Alembic)."""
    engine = _engine_ready()
    console.print(f"Base à jour (révision {current_revision(engine)}) : {redacted(database_url())}", highlight=False)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Dossier de sortie de la démonstration.")] = Path("demo-out"),
) -> None:
    """Démonstration hors ligne : un instantané de flux servi en local, un cycle complet et la synthèse."""
    from alerts.digest import render
    from watcher.demo.runner import run_demo

    started = datetime.now(UTC)
    config = state.config()
    console.print("[bold]Démonstration de la veille Action Patients[/] (hors ligne, instantané embarqué)")
    result = run_demo(config, out, on_source_done=_print_source)
    report, digest_result = result.report, result.digest
    elapsed = (datetime.now(UTC) - started).total_seconds()
    with session_scope(make_engine(f"sqlite:///{result.database}")) as session:
        scored = queries.scored_items(session)
    decisions = {key: sum(row.score.decision == key for row in scored) for key in _DECISION_LABELS}
    stories = len({row.item.story_id for row in scored})
    console.print(
        f"\n{len(report.sources)} sources collectées ({len(report.errors)} en erreur), "
        f"{report.new} articles enregistrés, regroupés en {stories} récits.\n"
        f"Décisions : {counted(decisions['alert'], 'alerte', 'alertes')}, {decisions['digest']} pour la synthèse, "
        f"{decisions['drop']} écartés. Alertes en attente d'envoi : {sum(r.alerts for r in report.sources)}.",
        highlight=False,
    )
    console.print("\nFichiers :", highlight=False)
    for path in [*result.files, result.database]:
        console.print(f"  → {path}", highlight=False)
    preview_lines = render(digest_result, "md").splitlines()[:25]
    console.print("\n[bold]Début de la synthèse[/] :\n", highlight=False)
    console.print("\n".join(preview_lines), markup=False, highlight=False, soft_wrap=True)
    console.print(f"\nTerminé en {elapsed:.1f} s.", highlight=False)


def main() -> None:
    app()


# The coordinator's commands (flag, tribunes, mentions) and those over the archive (search, export, OPML)
# register themselves on `app`.
from watcher import archive_cli, desk_cli  # noqa: E402, F401
