"""Full-text search: accents ignored, stems matched, ranked, with snippets; SQLite FTS5 and PostgreSQL tsvector."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import snowballstemmer
from sqlalchemy import Engine, insert, text
from sqlmodel import select
from typer.testing import CliRunner

from store import search as store_search
from store.db import SCHEMA_HEAD, session_scope
from store.models import Item, Source
from store.search import HIGHLIGHT_END, HIGHLIGHT_START, IndexEntry
from tests.clock import NOW, frozen
from tests.conftest import config_with_sources
from tests.deskdata import ENTRIES, HOSPITALS, LAVAL, MENTION, NOISE, collect
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.cli import app
from watcher.config import Config
from watcher.pipeline import Collector
from watcher.schedule import Service
from watcher.search import (
    SearchQueryError,
    catch_up,
    index_items,
    index_stem,
    query_phrases,
    query_stems,
    reindex,
    search,
    unindexed_count,
)


def _urls(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.item.url for hit in hits]


def test_words_are_stemmed_as_written_then_folded() -> None:
    # Snowball reads the accents: « fermées » and « ferme » share a stem, which folding first broke (« ferme »).
    assert {index_stem(word) for word in ("fermées", "fermée", "fermés", "ferme", "fermer", "FERMÉES")} == {"ferm"}
    assert index_stem("hôpitaux") == index_stem("hôpital") == "hopital"
    # French writes no -ee(s), -ere(s) or -erement without accents: such a word, in a title in capitals, gets them back.
    assert index_stem("FERMEES") == index_stem("fermées")
    assert index_stem("JOURNEE") == index_stem("journée") == "journ"
    assert index_stem("premieres") == index_stem("premières")
    # A quoted phrase, then a word; a word without accents may match several stems (« urgencès » is none).
    assert query_phrases("« urgences fermées » Laval") == [[("urgenc", "urgences"), ("ferm",)], [("laval",)]]
    assert query_phrases("les hôpitaux") == [[("hopital",)]]


SNOWBALL = snowballstemmer.stemmer("french")
# Real French forms and the same typed without accents: the accented stem is among those of the plain word.
# Snowball on the plain word alone gives another stem for each of them.
TYPED_WITHOUT_ACCENTS = {
    "fermées": "fermees",
    "assemblée": "assemblee",
    "arrivées": "arrivees",
    "première": "premiere",
    "infirmières": "infirmieres",
    "particulièrement": "particulierement",
    "sécurité": "securite",
    "activités": "activites",
    "accès": "acces",
    "procès": "proces",
    "réfugiés": "refugies",
    "publié": "publie",
    "considèrent": "considerent",
}


@pytest.mark.parametrize("accented", TYPED_WITHOUT_ACCENTS)
def test_a_word_typed_without_accents_matches_the_accented_one(accented: str) -> None:
    plain = TYPED_WITHOUT_ACCENTS[accented]
    assert SNOWBALL.stemWord(plain) != index_stem(accented)  # what folding before stemming searched for
    assert index_stem(accented) in query_stems(plain)
    assert index_stem(accented) in query_stems(plain.upper())


def test_a_word_without_accents_still_finds_itself() -> None:
    # « limite » may be « limite » or « limité », « faillite » has no accent: each keeps its own stem.
    assert index_stem("limite") in query_stems("limite") and index_stem("limité") in query_stems("limite")
    assert index_stem("faillite") in query_stems("faillite")
    assert query_stems("ferme") == ("ferm",)  # « ferme » or « fermé »: one stem
    assert query_stems("fermées") == ("ferm",)  # accents typed: only the word's own stem


def test_a_long_quoted_phrase_typed_without_accents_keeps_a_bounded_number_of_spellings() -> None:
    short = query_phrases("« urgences fermees »")
    assert short == [[query_stems("urgences"), query_stems("fermees")]]  # 2 × 3 spellings
    words = "urgences fermees hopitaux saturees medecins epuises patients desempares securite menacee"
    (phrase,) = query_phrases(f"« {words} »")
    assert phrase == [(index_stem(word),) for word in words.split()]
    assert phrase[1] == ("ferm",) and phrase[3] == (index_stem("saturées"),)


def _store(engine: Engine, *texts: tuple[str, str]) -> dict[str, int]:
    """Items with these titles and leads, under fixed dates; returns the id of each title."""
    ids = {}
    with session_scope(engine) as session:
        source = Source(name="Presse", kind="rss", url="https://presse.test/rss", interval_seconds=1800)
        session.add(source)
        session.flush()
        for number, (title, lead) in enumerate(texts):
            # Only the columns named here are written: a test downgrades the schema to an earlier item table first.
            statement = insert(Item).values(
                source_id=source.id or 0,
                guid=f"g{number}",
                url=f"https://presse.test/{number}",
                title=title,
                summary=lead,
                published_at=FIXED_NOW - timedelta(hours=number),
                published_estimated=False,
                collected_at=FIXED_NOW,
                title_date_key=f"k{number}",
                content_hash=f"h{number}",
            )
            ids[title] = session.execute(statement.returning(Item.id)).scalar_one()
    return ids


FIXED_NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_every_form_of_a_query_finds_the_same_items(engine: Engine) -> None:
    ids = _store(
        engine,
        ("Laval : les urgences fermées la nuit", "Faute de médecins, le service ferme de 20 h à 8 h."),
        ("Mayenne : l'urgence est fermée le week-end", "L'ARS annonce une réouverture en janvier."),
        ("LES URGENCES DE CHATEAU-GONTIER FERMEES", "Titre en capitales, sans accents."),
        ("Les hôpitaux bretons manquent de soignants", "Fermetures de lits à Brest."),
        ("Un hôpital de Rennes recrute", "Vingt postes d'infirmiers ouverts."),
        ("La ferme des Mille vaches", "Les urgences vétérinaires de la ferme, fermées."),
        ("Fête de la châtaigne", "Le marché attend 5 000 visiteurs."),
    )
    assert catch_up(engine) == len(ids)
    closed = {ids[title] for title in list(ids)[:3]} | {ids["La ferme des Mille vaches"]}
    forms = ("urgences fermées", "urgence fermée", "URGENCES FERMEES", "urgences ferme", "urgences fermees")
    found = {form: [hit.item.id for hit in search(engine, form)] for form in forms}
    for form in forms:
        assert set(found[form]) == closed, form
        assert found[form] == found[forms[0]], form  # in the same order
    hospitals = {ids["Les hôpitaux bretons manquent de soignants"], ids["Un hôpital de Rennes recrute"]}
    assert {hit.item.id for hit in search(engine, "hôpitaux")} == hospitals
    assert {hit.item.id for hit in search(engine, "hopital")} == hospitals
    # A quoted phrase keeps its words together (stop words aside) and in order, in every spelling.
    together = {ids["Laval : les urgences fermées la nuit"], ids["Mayenne : l'urgence est fermée le week-end"]}
    assert {hit.item.id for hit in search(engine, "« urgences fermées »")} == together
    assert {hit.item.id for hit in search(engine, '"URGENCES FERMEES"')} == together
    assert search(engine, "« fermées urgences »") == []


def test_a_search_writes_nothing_and_tells_what_is_not_indexed_yet(engine: Engine) -> None:
    ids = _store(engine, ("Grève des sages-femmes", "Les sages-femmes manifestent."))
    assert unindexed_count(engine) == 1
    assert search(engine, "grèves") == []  # not indexed: not found, and not indexed by the search either
    assert unindexed_count(engine) == 1
    assert catch_up(engine) == 1 and unindexed_count(engine) == 0
    assert [hit.item.id for hit in search(engine, "grèves")] == list(ids.values())


def test_a_word_too_long_for_postgresql_leaves_the_rest_of_the_item_searchable(engine: Engine) -> None:
    ids = _store(engine, ("Grève des internes", "Jeton de suivi " + "x" * 3000 + " en fin de page."))
    assert catch_up(engine) == 1
    assert [hit.item.id for hit in search(engine, "jeton")] == list(ids.values())


def test_reindex_rewrites_every_entry(engine: Engine) -> None:
    ids = _store(engine, ("Urgences fermées à Laval", ""), ("Grève des internes", ""))
    catch_up(engine)
    laval = ids["Urgences fermées à Laval"]
    with session_scope(engine) as session:
        # The entry an earlier analysis wrote: the folded word stemmed (« ferme »).
        store_search.index_items(session, [IndexEntry(laval, "Urgences fermées à Laval", "", "urgenc ferme laval", "")])
    assert search(engine, "fermées") == []
    assert reindex(engine) == 2
    assert [hit.item.id for hit in search(engine, "fermées")] == [laval]


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
    assert _urls(search(engine, "marrons")) == []  # its entry was dropped with the old words
    catch_up(engine)
    assert _urls(search(engine, "marrons")) == [NOISE["link"]]
    assert _urls(search(engine, "fête marron")) == [NOISE["link"]]


def test_the_service_indexes_what_a_cycle_stored(engine: Engine, real_config: Config, server: LocalServer) -> None:
    server.route("/desk.xml", rss("Presse du bureau", list(ENTRIES)))
    config = config_with_sources(
        real_config, {"name": "Presse du bureau", "url": server.url("/desk.xml"), "topics": ["hopital"]}
    )
    service = Service(engine, config, lambda day: None, clock=frozen())
    service.collector.sync_sources()
    asyncio.run(service.tick())
    with session_scope(engine) as session:
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


def test_upgrading_an_existing_database_rebuilds_its_index(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command

    from store.db import _alembic_config

    command.downgrade(_alembic_config(engine), "0009")  # the index of the earlier analysis
    ids = _store(engine, ("Urgences fermées à Laval", "Réouverture en janvier."))
    if engine.dialect.name == "sqlite":
        with session_scope(engine) as session:  # as the earlier code wrote it: folded, then stemmed
            entry = IndexEntry(
                ids["Urgences fermées à Laval"], "Urgences fermées à Laval", "", "urgenc ferme laval", ""
            )
            store_search.index_items(session, [entry])
    assert search(engine, "urgences fermées") == []  # PostgreSQL's trigger stemmed the folded words too

    monkeypatch.setenv("WATCHER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and f"Base à jour (révision {SCHEMA_HEAD})" in result.output, result.output
    assert [hit.item.id for hit in search(engine, "urgences fermées")] == list(ids.values())
    assert unindexed_count(engine) == 0
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            assert (
                connection.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname = 'item_search_sync'")).scalar()
                == 0
            )

    result = CliRunner().invoke(app, ["db", "reindex"])
    assert result.exit_code == 0 and "Index de recherche reconstruit : 1 article." in result.output, result.output
