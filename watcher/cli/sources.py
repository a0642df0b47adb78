"""`watcher sources check/list/health/coverage/enable` (the OPML doors are in watcher/cli/archive.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from store.db import session_scope
from watcher.cli import base
from watcher.cli.base import _engine_ready, console, fail, sources_app
from watcher.config import ConfigError


@sources_app.command("check")
def sources_check() -> None:
    """Valider le fichier de configuration."""
    config = base.state.config()
    active = sum(source.enabled for source in config.sources)
    console.print(
        f"[green]Configuration valide[/] : {len(config.sources)} sources ({active} actives), "
        f"{len(config.topics)} thèmes, {len(config.watchlist.members)} associations membres.",
        highlight=False,
    )


@sources_app.command("list")
def sources_list() -> None:
    """Lister les sources configurées."""
    config = base.state.config()
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

    config = base.state.config()
    engine = _engine_ready()
    now = base.state.now()
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

    config = base.state.config()
    try:
        end = datetime.fromisoformat(now) if now else base.state.now()
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

    config = base.state.config()
    try:
        config.source(name)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    engine = _engine_ready()
    Collector(engine, config, clock=base.state.clock()).sync_sources()
    with session_scope(engine) as session:
        source = enable_source(session, name, base.state.now())
        enabled_in_config = source is not None and source.enabled
    console.print(f"Source « {name} » réactivée : elle sera collectée au prochain cycle.", highlight=False)
    if not enabled_in_config:
        console.print("[yellow]attention[/] : elle reste en pause dans sources.yaml (enabled: false).")
