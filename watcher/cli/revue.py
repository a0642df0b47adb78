"""`watcher revue …`: the public revue de presse and its « publier dans la revue » marks.

Registered on the `watcher` application by watcher/cli/__init__.py; each command calls one library function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from store.db import session_scope
from watcher import when
from watcher.cli import base
from watcher.desk import default_who
from watcher.failures import os_reason
from watcher.revue import picks

revue_app = typer.Typer(help="La revue de presse publique : parutions validées et articles choisis.")
base.app.add_typer(revue_app, name="revue")

ITEM_HELP = "Numéro de l'article (voir « watcher items » ou « watcher search »)."


@revue_app.command("build")
def revue_build(
    out: Annotated[
        Path | None, typer.Option("--out", help="Dossier du site (par défaut revue.output_dir).", show_default=False)
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help=f"Les parutions depuis : {when.SINCE_HELP}.", show_default=False)
    ] = None,
) -> None:
    """Écrire la revue de presse : index.html, une page par mois et le flux Atom feed.xml."""
    config = base.state.config()
    target = out or config.revue.output_dir
    if target is None:
        raise base.fail("indiquez le dossier du site : --out DOSSIER (ou revue.output_dir dans sources.yaml)")
    zone = config.digest.zone
    now = base.state.now()
    start_at = base.since_option(since, zone)
    start = start_at.astimezone(zone).date() if start_at else None
    if target.exists() and not target.is_dir():
        raise base.fail(f"--out : « {target} » est un fichier, pas un dossier")
    from watcher.revue.site import build_revue  # feedgen and the templates, for this command only

    engine = base._engine_ready()
    try:
        files = build_revue(engine, target, now=now, zone=zone, since=start, site_url=config.revue.site_url)
    except OSError as exc:
        raise base.fail(f"écriture de la revue impossible dans « {target} » : {os_reason(exc)}") from None
    months = sum(path.name[:4].isdigit() for path in files)
    base.console.print(
        f"Revue de presse écrite : {base.counted(months, 'mois', 'mois')}, {len(files)} fichiers.", highlight=False
    )
    for path in files:
        base.console.print(f"  → {path}", highlight=False)


@revue_app.command("add")
def revue_add(item: Annotated[int, typer.Argument(metavar="ARTICLE", help=ITEM_HELP, show_default=False)]) -> None:
    """Marquer un article « publier dans la revue »."""
    engine = base._engine_ready()
    try:
        with session_scope(engine) as session:
            added = picks.publish(session, item, who=default_who(), now=base.state.now())
    except picks.RevueError as exc:
        raise base.fail(str(exc)) from None
    said = "ajouté à la revue de presse" if added else "déjà dans la revue de presse"
    base.console.print(f"Article {item} {said}.", highlight=False)


@revue_app.command("remove")
def revue_remove(item: Annotated[int, typer.Argument(metavar="ARTICLE", help=ITEM_HELP, show_default=False)]) -> None:
    """Retirer un article de la revue (les parutions validées du registre y restent)."""
    engine = base._engine_ready()
    try:
        with session_scope(engine) as session:
            removed = picks.withdraw(session, item)
    except picks.RevueError as exc:
        raise base.fail(str(exc)) from None
    said = "retiré de la revue de presse" if removed else "n'était pas dans la revue de presse"
    base.console.print(f"Article {item} {said}.", highlight=False)


@revue_app.command("list")
def revue_list() -> None:
    """Lister les articles marqués « publier dans la revue »."""
    config = base.state.config()
    engine = base._engine_ready()
    with session_scope(engine) as session:
        rows = picks.picks(session)
    table = Table(title=base.counted(len(rows), "article choisi", "articles choisis"))
    for column in ("Article", "Publié", "Média", "Titre", "Choisi par"):
        table.add_column(column, overflow="fold")
    zone = config.digest.zone
    for row in rows:
        table.add_row(
            str(row.item.id),
            row.item.published_at.astimezone(zone).strftime("%d/%m/%Y"),
            row.item.publisher or row.source.name,
            row.item.title,
            f"{row.pick.picked_by}, {row.pick.picked_at.astimezone(zone):%d/%m/%Y}",
        )
    base.console.print(table)
