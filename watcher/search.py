"""`watcher search`: French full-text search over the archive.

Words are folded before they are stemmed, on both sides: a query typed without accents
(« urgences fermees ») gives the same stems as with them, and PostgreSQL's `veille_fr`
configuration (unaccent, then the same Snowball stemmer) does the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

import snowballstemmer
from sqlalchemy import Engine
from sqlmodel import Session

from store import search as store_search
from store.db import session_scope
from store.models import Item
from store.search import SearchHit
from watcher.text import tokenize

_stemmer = snowballstemmer.stemmer("french")
_QUOTED_RE = re.compile(r"[«\"“]([^»\"”]+)[»\"”]")


class SearchQueryError(ValueError):
    """A query with nothing to search for, phrased in French."""


def search_stems(text: str) -> list[str]:
    """Stems of the meaningful words, accents folded first."""
    return [_folded_stem(token.folded) for token in tokenize(text) if not token.stop]


@lru_cache(maxsize=100_000)
def _folded_stem(folded: str) -> str:
    return _stemmer.stemWord(folded)


def query_phrases(query: str) -> list[list[str]]:
    """« "urgences fermées" Laval » -> [["urgenc", "ferme"], ["laval"]]: quoted text is a phrase."""
    phrases = [search_stems(quoted) for quoted in _QUOTED_RE.findall(query)]
    rest = _QUOTED_RE.sub(" ", query)
    phrases.extend([stem] for stem in search_stems(rest))
    return [phrase for phrase in phrases if phrase]


def index_entry(item: Item | store_search.UnindexedItem) -> store_search.IndexEntry:
    body = f"{item.summary or ''} {item.content or ''}".strip()
    return store_search.IndexEntry(
        item_id=item.id or 0,
        title=item.title,
        body=body,
        title_stems=" ".join(search_stems(item.title)),
        body_stems=" ".join(search_stems(body)),
    )


def index_items(session: Session, items: Iterable[Item | store_search.UnindexedItem]) -> None:
    """Keep the search index of these stored items current."""
    if store_search.maintained_by_store(session):
        store_search.index_items(session, [index_entry(item) for item in items])


def catch_up(engine: Engine) -> int:
    """Index the items that have no search entry yet; returns how many."""
    done = 0
    while True:
        with session_scope(engine) as session:
            missing = store_search.unindexed_items(session)
            if not missing:
                return done
            index_items(session, missing)
            done += len(missing)


def search(
    engine: Engine,
    query: str,
    *,
    since: datetime | None = None,
    topic: str | None = None,
    source: str | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    phrases = query_phrases(query)
    if not phrases:
        raise SearchQueryError(f"rien à chercher dans « {query} » (que des mots vides ?)")
    catch_up(engine)
    with session_scope(engine) as session:
        return store_search.search(
            session, query=query, phrases=phrases, since=since, topic=topic, source=source, limit=limit
        )
