"""« Publier dans la revue »: the one place where an item is added to or taken out of the public revue.

The command line (`watcher revue add|remove|list`) and the web desk's article page both call these functions.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from store import desk
from store import revue as store_revue


class RevueError(ValueError):
    """A revue action that cannot be done, phrased in French."""


def publish(session: Session, item_id: int, *, who: str, now: datetime) -> bool:
    """Mark the item « publier dans la revue »; False when it already was."""
    if desk.item_view(session, item_id) is None:
        raise RevueError(f"article {item_id} introuvable (voir « watcher items » ou « watcher search »)")
    return store_revue.add_pick(session, item_id=item_id, who=who, now=now)


def withdraw(session: Session, item_id: int) -> bool:
    """Take the item out of the revue; False when it was not in it."""
    if desk.item_view(session, item_id) is None:
        raise RevueError(f"article {item_id} introuvable (voir « watcher items » ou « watcher search »)")
    return store_revue.remove_pick(session, item_id)


def picks(session: Session) -> list[store_revue.PickedItem]:
    return store_revue.picked_items(session)
