"""`watcher stories`: what the coordinator does to stories (split a contested join) and sees of them (merges).

Registered on the `watcher` application by watcher/cli/__init__.py; each command calls one library function.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from store import merges
from store.db import session_scope
from watcher import desk
from watcher.cli import base

stories_app = typer.Typer(
    help="Les sujets : articles regroupés quand ils racontent le même événement.", no_args_is_help=True
)
base.app.add_typer(stories_app, name="stories")


@stories_app.command("split")
def split(
    item: Annotated[
        int,
        typer.Argument(
            metavar="ARTICLE", help="Identifiant de l'article (voir « watcher items » ou « watcher search »)."
        ),
    ],
) -> None:
    """Pas le même sujet : sortir un article de son sujet, pour qu'il forme un sujet à lui seul."""
    engine = base._engine_ready()
    who = desk.default_who()
    try:
        with session_scope(engine) as session:
            done = desk.split_story(session, item, who=who, now=base.state.now())
    except desk.DeskError as exc:
        raise base.fail(str(exc)) from None
    left = base.counted(done.left_in_former, "article", "articles")
    base.console.print(
        f"Article {item} séparé du sujet n° {done.former_story_id} (qui garde {left}) : "
        f"il forme le sujet n° {done.new_story_id}, et n'y sera plus rattaché (par {who}).",
        highlight=False,
        soft_wrap=True,
    )


@stories_app.command("merges")
def merges_command(
    days: Annotated[int, typer.Option(min=1, help="Les fusions de ces N derniers jours.")] = 7,
) -> None:
    """Les sujets réunis parce qu'un article les reliait : à relire, et à séparer s'ils ne vont pas ensemble."""
    engine = base._engine_ready()
    zone = base.state.config().digest.zone
    with session_scope(engine) as session:
        found = merges.recent_merges(session, base.state.now() - timedelta(days=days))
    period = "ces 24 dernières heures" if days == 1 else f"ces {days} derniers jours"
    if not found:
        base.console.print(f"Aucune fusion de sujets {period}.", highlight=False)
        return
    base.console.print(f"Fusions de sujets {period} : {len(found)}", highlight=False)
    for merge, title in found:
        moved = base.counted(merge.moved, "article", "articles")
        base.console.print(
            f"  {merge.merged_at.astimezone(zone):%d/%m %H:%M} — le sujet n° {merge.absorbed_story_id} ({moved}) "
            f"rejoint le sujet n° {merge.story_id}, relié par l'article {merge.item_id} « {title} »",
            highlight=False,
            soft_wrap=True,
        )
    base.console.print(
        "Un article mal rattaché se sépare avec « watcher stories split ARTICLE ».", highlight=False, soft_wrap=True
    )
