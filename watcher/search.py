"""`watcher search`: French full-text search over the archive.

One analysis serves both backends and both sides, the index and the query: each word is stemmed as
written, by the Snowball French stemmer whose rules read accents (« fermées » -> « ferm »,
« hôpitaux » -> « hôpital »), and only then are its accents folded.

A word written without accents (a query typed in haste, a title in capitals) is ambiguous: Snowball
reads « fermees » as « ferme », not as « fermées ». Accents change a French stem only through the
suffixes the stemmer knows (é, ée, ées, és, ère, ité, èrent, ès…), so such a word is given back the
accents its ending may have lost:
- in the index, only where the accented spelling is all but certain (French writes no -ee, -ees,
  -ere, -eres or -erement without accents), so that each word keeps one stem and phrases still match;
- in a query, every accent its ending may have lost, each giving a stem, any of which matches.
bench/search_stems.py measures both on a year of Le Monde headlines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Engine
from sqlmodel import Session

from store import search as store_search
from store.db import session_scope
from store.models import Item
from store.search import Phrase, SearchHit, SearchResults
from watcher.text import index_stem, snowball, tokenize, unaccented, with_accents

_QUOTED_RE = re.compile(r"[«\"“]([^»\"”]+)[»\"”]")

# Endings that may have lost an accent, or not: « limite » or « limité », « acces » for « accès ».
POSSIBLE_ACCENTS = (("erent", "èrent"), ("ites", "ités"), ("ite", "ité"), ("es", "és"), ("es", "ès"), ("e", "é"))


class SearchQueryError(ValueError):
    """A query with nothing to search for, phrased in French."""


@lru_cache(maxsize=100_000)
def query_stems(word: str) -> tuple[str, ...]:
    """The stems a query word matches: its index stem and, typed without accents, the stems of the
    word as it stands and of each accented spelling it may stand for."""
    lowered = word.lower()
    if not unaccented(lowered):
        return (index_stem(lowered),)
    candidates = [index_stem(lowered), snowball(lowered)]
    candidates.extend(snowball(form) for form in with_accents(lowered, POSSIBLE_ACCENTS))
    return tuple(dict.fromkeys(candidates))


def search_stems(text: str) -> list[str]:
    """Index stems of the meaningful words, in order."""
    return [token.index_stem for token in tokenize(text) if not token.stop]


# A phrase matches in any choice of one stem per word: a long quoted phrase typed without accents would
# multiply them (ten words of three stems, 59 049 choices). Past this many, each word keeps its index stem.
MAX_SPELLINGS = 64


def _query_words(text: str) -> Phrase:
    words = [query_stems(token.surface) for token in tokenize(text) if not token.stop]
    if math.prod(len(word) for word in words) > MAX_SPELLINGS:
        return [word[:1] for word in words]
    return words


def query_phrases(query: str) -> list[Phrase]:
    """« "urgences fermées" Laval » -> [[("urgenc",), ("ferm",)], [("laval",)]]: quoted text is a phrase;
    each word is the tuple of stems any of which matches."""
    phrases = [_query_words(quoted) for quoted in _QUOTED_RE.findall(query)]
    rest = _QUOTED_RE.sub(" ", query)
    phrases.extend([word] for word in _query_words(rest))
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


def reindex(engine: Engine) -> int:
    """Index every item again (after a change of the analysis); returns how many."""
    done, after = 0, 0
    while True:
        with session_scope(engine) as session:
            batch = store_search.items_after(session, after)
            if not batch:
                return done
            index_items(session, batch)
        done += len(batch)
        after = batch[-1].id


def unindexed_count(engine: Engine) -> int:
    """How many items a search cannot find yet (stored, not yet indexed)."""
    with session_scope(engine) as session:
        return store_search.unindexed_count(session)


def search_results(
    engine: Engine,
    query: str,
    *,
    since: datetime | None = None,
    topic: str | None = None,
    source: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Of the newest matches (`store.search.SEARCH_CANDIDATES`), the page asked for, best first. Reads only:
    what is not indexed yet is not found (see `unindexed_count`)."""
    phrases = query_phrases(query)
    if not phrases:
        raise SearchQueryError(f"rien à chercher dans « {query} » (que des mots vides ?)")
    with session_scope(engine) as session:
        return store_search.search(
            session, phrases=phrases, since=since, topic=topic, source=source, limit=limit, offset=offset
        )


def search(
    engine: Engine,
    query: str,
    *,
    since: datetime | None = None,
    topic: str | None = None,
    source: str | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """The best `limit` of the newest matches."""
    return search_results(engine, query, since=since, topic=topic, source=source, limit=limit).hits
