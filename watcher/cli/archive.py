"""Commands over the archive: search, db reindex, export items, sources export-opml/import-opml.

Registered on the `watcher` application by watcher/cli/__init__.py; each command calls one library function.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from store import desk as store_desk
from store.db import session_scope
from store.search import HIGHLIGHT_END, HIGHLIGHT_START
from watcher import exports, opml
from watcher.cli import base
from watcher.config import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH
from watcher.search import SearchQueryError, reindex, search_results, unindexed_count
from watcher.when import DAY_FORMATS, SINCE_HELP, end_of_day

export_app = typer.Typer(help="Exporter les articles.", no_args_is_help=True)
base.app.add_typer(export_app, name="export")


# --- search and exports ----------------------------------------------------


def _highlighted(snippet: str) -> str:
    return escape(snippet).replace(HIGHLIGHT_START, "[bold yellow]").replace(HIGHLIGHT_END, "[/]")


@base.app.command()
def search(
    query: Annotated[
        str, typer.Argument(metavar="RECHERCHE", help="Mots à chercher ; « entre guillemets » pour une expression.")
    ],
    since: Annotated[str | None, typer.Option("--since", help=f"Publiés depuis : {SINCE_HELP}.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Clé du thème (hopital, greve, ame…).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Nom exact de la source.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Nombre maximum de résultats.")] = 20,
) -> None:
    """Chercher dans le texte de tous les articles (sans tenir compte des accents, sur les racines des mots)."""
    config = base.state.config()
    if topic is not None and topic not in config.topics:
        raise base.fail(f"thème inconnu « {topic} » (thèmes : {', '.join(config.topics)})")
    start = base.since_option(since, config.digest.zone)
    engine = base._engine_ready()
    try:
        results = search_results(engine, query, since=start, topic=topic, source=source, limit=limit)
    except SearchQueryError as exc:
        raise base.fail(str(exc)) from None
    hits = results.hits
    base.console.print(
        f"{base.counted(len(hits), 'résultat', 'résultats')} pour « {query} »", highlight=False, soft_wrap=True
    )
    if results.older:
        base.console.print(
            f"(les mieux classés des {results.ranked} plus récents ; d'autres, plus anciens, contiennent ces mots : "
            "--since, --source ou --topic pour les atteindre)",
            highlight=False,
            soft_wrap=True,
        )
    for number, hit in enumerate(hits, start=1):
        published = hit.item.published_at.astimezone(config.digest.zone).strftime("%d/%m/%Y")
        score = f", score {hit.score.score}" if hit.score else ""
        base.console.print(
            f"\n[bold]{number}. {escape(hit.item.title)}[/]\n"
            f"   {escape(hit.item.publisher or hit.source.name)}, {published}{score} — article {hit.item.id}",
            highlight=False,
            soft_wrap=True,
        )
        if hit.snippet:
            base.console.print(f"   {_highlighted(hit.snippet)}", highlight=False, soft_wrap=True)
        base.console.print(f"   [dim]{escape(hit.item.url)}[/]", highlight=False, soft_wrap=True)
    missing = unindexed_count(engine)
    if missing:
        base.errors.print(
            f"[yellow]attention[/] : {base.counted(missing, 'article n’est', 'articles ne sont')} pas encore "
            "dans l'index de recherche (le service les y ajoute après chaque cycle ; « watcher db reindex » "
            "le fait tout de suite).",
            highlight=False,
            soft_wrap=True,
        )


@base.db_app.command("reindex")
def db_reindex() -> None:
    """Reconstruire l'index de recherche de tous les articles (après une mise à jour de l'analyse du français)."""
    engine = base._engine_ready()
    done = reindex(engine)
    base.console.print(
        f"Index de recherche reconstruit : {base.counted(done, 'article', 'articles')}.", highlight=False
    )


@export_app.command("items")
def export_items(
    since: Annotated[str | None, typer.Option("--since", help=f"Publiés depuis : {SINCE_HELP}.")] = None,
    until: Annotated[str | None, typer.Option("--until", help=f"Jusqu'à ce jour inclus : {DAY_FORMATS}.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv ou json.")] = "csv",
    sep: Annotated[str, typer.Option("--sep", help="Séparateur CSV.")] = ",",
    out: Annotated[Path | None, typer.Option("--out", help="Fichier de sortie (sinon la sortie standard).")] = None,
) -> None:
    """Exporter les articles d'une période, avec leur note et leurs thèmes."""
    if fmt not in ("csv", "json"):
        raise base.fail(f"--format : format inconnu « {fmt} » (attendu : csv ou json)")
    if len(sep) != 1:
        raise base.fail(f"--sep : un seul caractère attendu, reçu « {sep} »")
    zone = base.state.config().digest.zone
    start, last = base.since_option(since, zone), base.day_option(until, "--until")
    end = end_of_day(last, zone) if last else None
    if start and end and end <= start:
        raise base.fail(f"--until ({last:%d/%m/%Y}) est avant --since ({start.astimezone(zone):%d/%m/%Y %H:%M})")
    engine = base._engine_ready()
    with session_scope(engine) as session:
        views = store_desk.items_published(session, start, end)
    content = exports.items_json(views, zone) if fmt == "json" else exports.items_csv(views, zone, sep)
    if out is None:
        sys.stdout.write(content)
        return
    out.write_text(content, encoding="utf-8", newline="")
    base.console.print(f"{base.counted(len(views), 'article', 'articles')} → {out}", highlight=False, soft_wrap=True)


# --- sources as OPML -------------------------------------------------------


def _config_path() -> Path:
    return Path(base.state.config_path or os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_PATH)


@base.sources_app.command("export-opml")
def sources_export_opml(
    out: Annotated[Path | None, typer.Option("--out", help="Fichier OPML (sinon la sortie standard).")] = None,
) -> None:
    """Exporter les sources en OPML, pour un lecteur de flux."""
    config = base.state.config()
    data = opml.export_opml(config, now=base.state.now())
    if out is None:
        sys.stdout.buffer.write(data)
        return
    out.write_bytes(data)
    base.console.print(
        f"{base.counted(len(config.sources), 'source', 'sources')} → {out}", highlight=False, soft_wrap=True
    )


@base.sources_app.command("import-opml")
def sources_import_opml(
    file: Annotated[
        Path,
        typer.Argument(metavar="FICHIER_OPML", help="Fichier OPML exporté d'un lecteur de flux (Feedly, Miniflux…)."),
    ],
) -> None:
    """Ajouter à sources.yaml les flux d'un fichier OPML (ceux déjà suivis sont ignorés)."""
    config = base.state.config()  # a broken sources.yaml is reported before anything is read
    today = base.state.now().astimezone(config.digest.zone).date()
    try:
        report = opml.import_opml(_config_path(), file, day=today)
    except opml.OpmlError as exc:
        raise base.fail(str(exc)) from None
    for source in report.added:
        base.console.print(f"[green]+[/] {escape(source.name)} ({source.url})", highlight=False, soft_wrap=True)
    for name, why in report.skipped:
        base.console.print(f"[dim]=[/] {escape(name)} : {why}", highlight=False, soft_wrap=True)
    for name, what in report.notes:
        base.console.print(f"[yellow]![/] {escape(name)} : {what}", highlight=False, soft_wrap=True)
    base.console.print(
        f"{base.counted(len(report.added), 'source ajoutée', 'sources ajoutées')} à {_config_path()}, "
        f"{base.counted(len(report.skipped), 'ignorée', 'ignorées')}.",
        highlight=False,
        soft_wrap=True,
    )
