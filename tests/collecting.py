"""A collection cycle as a restarted service runs it, and what it stored: the story tests' common steps."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Item
from tests.clock import frozen
from watcher.config import Config
from watcher.pipeline import Collector


def cycle(engine: Engine, config: Config, names: list[str]) -> None:
    """One cycle over the sources `names`, by a new collector each time: the process restarted."""
    collector = Collector(engine, config, clock=frozen())
    collector.sync_sources()
    asyncio.run(collector.run_cycle(names))


def stored_items(engine: Engine) -> dict[str, Item]:
    """Every stored item, by its address."""
    with session_scope(engine) as session:
        return {item.url: item for item in session.exec(select(Item)).all()}
