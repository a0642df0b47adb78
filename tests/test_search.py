"""Full-text search: accents ignored, stems matched, ranked, with snippets; SQLite FTS5 and PostgreSQL tsvector."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from store.db import session_scope
from store.models import Item, Source
from store.search import HIGHLIGHT_END, HIGHLIGHT_START
from tests.clock import NOW, frozen
from tests.conftest import config_with_sources
from tests.deskdata import ENTRIES, HOSPITALS, LAVAL, MENTION, NOISE, collect
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.pipeline import Collector
from watcher.schedule import Service
from watcher.search import SearchQueryError, catch_up, index_items, query_phrases, search


def _urls(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.item.url for hit in hits]


def test_query_phrases_fold_before_stemming() -> None:
    assert query_phrases("urgences fermées") == query_phrases("URGENCES FERMEES") == [["urgenc"], ["ferme"]]
    assert query_phrases("« urgences fermées » Laval") == [["urgenc", "ferme"], ["laval"]]
    assert query_phrases("les hôpitaux") == [["hopital"]]


def test_search_ignores_accents_matches_stems_and_ranks(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    collect(engine, real_config, server)
    accented = search(engine, "urgences fermées")
    assert _urls(accented) == [LAVAL["link"]]
    assert _urls(search(engine, "urgences fermees")) == _urls(accented)
    assert _urls(search(engine, "URGENCES FERMÉES")) == _urls(accented)
    # « hôpital » finds « hôpitaux » (stems); the item with the word in its title ranks first.
    hospital = search(engine, "hopital")
    assert set(_urls(hospital)) == {LAVAL["link"], MENTION["link"], HOSPITALS["link"]}
    assert _urls(hospital)[0] == HOSPITALS["link"]
    assert [hit.rank for hit in hospital] == sorted((hit.rank for hit in hospital), reverse=True)
    assert search(engine, "châtaigne")[0].item.url == NOISE["link"]
    assert search(engine, "chataigne")[0].item.url == NOISE["link"]


def test_snippets_highlight_the_matched_words(engine: Engine, real_config: Config, server: LocalServer) -> None:
    collect(engine, real_config, server)
    (hit,) = search(engine, "urgentistes")
    assert f"{HIGHLIGHT_START}urgentistes{HIGHLIGHT_END}" in hit.snippet
    assert "Laval" in hit.snippet


def test_filters_since_topic_and_source(engine: Engine, real_config: Config, server: LocalServer) -> None:
    collect(engine, real_config, server)
    assert _urls(search(engine, "hôpital", topic="ame")) == []
    assert LAVAL["link"] in _urls(search(engine, "hôpital", topic="hopital"))
    assert _urls(search(engine, "hôpital", source="Autre source")) == []
    assert len(search(engine, "hôpital", source="Presse du bureau")) == 3
    latest = search(engine, "hôpital", since=HOSPITALS["published"])  # type: ignore[arg-type]
    assert _urls(latest) == [HOSPITALS["link"]]


def test_an_edited_item_is_found_by_its_new_words(engine: Engine, real_config: Config, server: LocalServer) -> None:
    collect(engine, real_config, server)
    with session_scope(engine) as session:
        item = session.exec(select(Item).where(Item.url == NOISE["link"])).one()
        item.title = "Fête du marron à Mayenne"
        index_items(session, [item])
    assert _urls(search(engine, "marrons")) == [NOISE["link"]]
    assert _urls(search(engine, "châtaigne")) == []


def test_an_item_the_feed_rewrites_is_found_by_its_new_words(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    config, _ids = collect(engine, real_config, server)
    assert _urls(search(engine, "châtaigne")) == [NOISE["link"]]
    rewritten = [dict(entry, title="Fête du marron à Mayenne") if entry is NOISE else entry for entry in ENTRIES]
    server.route("/desk.xml", rss("Presse du bureau", rewritten))
    asyncio.run(Collector(engine, config, clock=frozen()).run_cycle(["Presse du bureau"]))
    assert _urls(search(engine, "marrons")) == [NOISE["link"]]
    assert _urls(search(engine, "fête marron")) == [NOISE["link"]]


def test_the_service_indexes_what_a_cycle_stored(
    sqlite_engine: Engine, real_config: Config, server: LocalServer
) -> None:
    server.route("/desk.xml", rss("Presse du bureau", list(ENTRIES)))
    config = config_with_sources(
        real_config, {"name": "Presse du bureau", "url": server.url("/desk.xml"), "topics": ["hopital"]}
    )
    service = Service(sqlite_engine, config, lambda day: None, clock=frozen())
    service.collector.sync_sources()
    asyncio.run(service.tick())
    with session_scope(sqlite_engine) as session:
        indexed = session.execute(text("SELECT count(*) FROM item_search")).scalar_one()
        stored = session.execute(text("SELECT count(*) FROM item")).scalar_one()
    assert indexed == stored == len(ENTRIES)  # before any search: off the collection's path, not forgotten


def test_items_stored_before_the_index_are_caught_up(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        source = Source(name="Ancienne", kind="rss", url="https://ancienne.test/rss", interval_seconds=1800)
        session.add(source)
        session.flush()
        session.add(
            Item(
                source_id=source.id or 0,
                guid="old-1",
                url="https://ancienne.test/1",
                title="Grève des sages-femmes",
                summary="Les sages-femmes manifestent.",
                published_at=NOW,
                collected_at=NOW,
                title_date_key="k",
                content_hash="h",
            )
        )
    assert catch_up(sqlite_engine) == 1
    assert catch_up(sqlite_engine) == 0
    assert _urls(search(sqlite_engine, "grèves")) == ["https://ancienne.test/1"]


def test_an_empty_query_is_refused_in_french(sqlite_engine: Engine) -> None:
    with pytest.raises(SearchQueryError, match="rien à chercher dans « les »"):
        search(sqlite_engine, "les")
