"""A search ranks the newest matches only, so that its work follows what it shows, not the archive's size: the
page asked for, best first, of the latest `candidates` matches; older ones are reached by narrowing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from store import search as store_search
from store.db import session_scope
from store.models import Item, Source
from watcher.search import catch_up, query_phrases, search_results

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
HIGHLIGHT = store_search.HIGHLIGHT_START


def _store(engine: Engine, titles: list[str], published: list[datetime] | None = None) -> list[int]:
    """Items collected in this order (ids ascending), indexed; returns their ids."""
    ids = []
    with session_scope(engine) as session:
        source = Source(name="Presse", kind="rss", url="https://presse.test/rss", interval_seconds=1800)
        session.add(source)
        session.flush()
        for number, title in enumerate(titles):
            collected = NOW - timedelta(hours=len(titles) - number)
            item = Item(
                source_id=source.id or 0,
                guid=f"g{number}",
                url=f"https://presse.test/{number}",
                title=title,
                summary="Un article de la presse régionale.",
                published_at=published[number] if published else collected,
                collected_at=collected,
                title_date_key=f"k{number}",
                content_hash=f"h{number}",
            )
            session.add(item)
            session.flush()
            ids.append(item.id or 0)
    catch_up(engine)
    return ids


def _ranked(engine: Engine, query: str, **options: object) -> store_search.SearchResults:
    with session_scope(engine) as session:
        return store_search.search(session, phrases=query_phrases(query), **options)  # type: ignore[arg-type]


def test_only_the_newest_matches_are_ranked_and_the_older_ones_are_told(engine: Engine) -> None:
    # The oldest item has the word in its title and would rank first; it is not among the 5 newest matches.
    ids = _store(engine, ["Les urgences débordées", *(f"Article {n} sur la ville" for n in range(7))])
    for n, item_id in enumerate(ids[1:]):  # the word in the body of the others
        with session_scope(engine) as session:
            item = session.get(Item, item_id)
            assert item is not None
            item.summary = f"Les urgences de la ville, épisode {n}."
            store_search.forget(session, [item_id])
    catch_up(engine)
    newest = _ranked(engine, "urgences", candidates=5, limit=3)
    assert newest.older and newest.ranked == 5
    assert {hit.item.id for hit in _ranked(engine, "urgences", candidates=5, limit=5).hits} == set(ids[-5:])
    everything = _ranked(engine, "urgences", candidates=50, limit=20)
    assert not everything.older and everything.ranked == 8
    assert everything.hits[0].item.id == ids[0]  # ranked over all of them, the title match comes first


def test_pages_split_the_ranked_matches_in_order(engine: Engine) -> None:
    titles = [f"Grève numéro {n}" if n % 3 else f"La grève des soignants, jour {n}" for n in range(23)]
    _store(engine, titles)
    whole = _ranked(engine, "grève", limit=23)
    pages = [_ranked(engine, "grève", limit=10, offset=start) for start in (0, 10, 20)]
    assert [len(page.hits) for page in pages] == [10, 10, 3]
    assert [hit.item.id for page in pages for hit in page.hits] == [hit.item.id for hit in whole.hits]
    assert [hit.rank for hit in whole.hits] == sorted((hit.rank for hit in whole.hits), reverse=True)
    assert all(page.ranked == 23 and not page.older for page in pages)
    assert all(HIGHLIGHT in hit.snippet for page in pages for hit in page.hits if "grève" in hit.item.summary)


def test_a_page_past_the_candidates_ranks_as_many_as_it_needs(sqlite_engine: Engine) -> None:
    _store(sqlite_engine, [f"Pénurie de médicaments {n}" for n in range(12)])
    page = _ranked(sqlite_engine, "pénurie", candidates=5, limit=4, offset=8)
    assert page.ranked == 12 and not page.older and len(page.hits) == 4


def test_since_starts_at_the_first_item_published_in_the_period_whatever_its_place(engine: Engine) -> None:
    # Collected first, published last: the period's first item by id is this one; it must still be found.
    published = [NOW - timedelta(hours=1), NOW - timedelta(days=30), NOW - timedelta(days=3), NOW - timedelta(days=40)]
    titles = ["Fermeture de la maternité", "Fermeture ancienne", "Fermeture récente", "Fermeture très ancienne"]
    ids = _store(engine, titles, published)
    found = _ranked(engine, "fermeture", since=NOW - timedelta(days=7))
    assert sorted(hit.item.id for hit in found.hits) == [ids[0], ids[2]]
    assert _ranked(engine, "fermeture", since=NOW + timedelta(days=1)).ranked == 0


def test_since_compares_instants_not_the_text_of_their_time_zones(engine: Engine) -> None:
    """« Since midnight in Paris » against times stored in UTC: an item of 00:30 in Paris (23:30 UTC the day before)
    is in; one of 23:30 in Paris the day before is out. Bound as written, the Paris offset made the stored text of the
    first compare as earlier than the period (and Python 3.12 warns that such binding is going away)."""
    midnight = datetime(2026, 11, 23, tzinfo=ZoneInfo("Europe/Paris"))
    ids = _store(
        engine,
        ["Fermeture de la maternité de nuit", "Fermeture de la maternité la veille"],
        [midnight + timedelta(minutes=30), midnight - timedelta(minutes=30)],
    )
    found = _ranked(engine, "fermeture", since=midnight)
    assert [hit.item.id for hit in found.hits] == [ids[0]]


def test_the_results_of_the_command_line_say_when_older_matches_were_left_out(sqlite_engine: Engine) -> None:
    _store(sqlite_engine, [f"Désert médical {n}" for n in range(store_search.SEARCH_CANDIDATES + 2)])
    results = search_results(sqlite_engine, "désert médical", limit=5)
    assert results.older and results.ranked == store_search.SEARCH_CANDIDATES and len(results.hits) == 5
