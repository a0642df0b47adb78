"""`watcher stories`: what the coordinator does to stories (split a contested join).

Registered on the `watcher` application by watcher/cli/__init__.py; each command calls one library function.
"""

from __future__ import annotations

from typing import Annotated

import typer

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
