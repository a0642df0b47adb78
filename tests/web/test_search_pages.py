"""The desk's search, over HTTP: pages of results, and the newest matches only, said on the page."""

from __future__ import annotations

from datetime import timedelta

from store.db import session_scope
from store.models import Item
from store.search import SEARCH_CANDIDATES
from tests.web import deskdata
from tests.web.conftest import Served
from tests.web.test_security import signed_in
from watcher.search import catch_up
from watcher.web.pages.today import SEARCH_PAGE


def _archive(desk: Served, count: int) -> None:
    """`count` items on the same word, collected an hour apart, the latest numbered highest."""
    with session_scope(desk.engine) as session:
        for n in range(count):
            collected = deskdata.NOW - timedelta(hours=count - n)
            session.add(
                Item(
                    source_id=1,
                    guid=f"zibeline-{n}",
                    url=f"https://presse-bureau.test/zibeline-{n}",
                    title=f"La zibeline numéro {n:03d}",
                    summary="Une zibeline vue en forêt.",
                    published_at=collected,
                    collected_at=collected,
                    title_date_key=f"zibeline-{n}",
                    content_hash=f"zibeline-{n}",
                )
            )
    catch_up(desk.engine)


def _titles(page: str) -> list[str]:
    return [part.split(">", 1)[1].split("<", 1)[0] for part in page.split('<a class="title"')[1:]]


def test_results_come_a_page_at_a_time(desk: Served) -> None:
    _archive(desk, SEARCH_PAGE + 5)
    client, _ = signed_in(desk, "lecture")
    first = client.get("/", params={"q": "zibelines"}).text
    assert f"{SEARCH_PAGE + 5} résultats pour « zibelines »" in first
    assert f"Résultats 1 à {SEARCH_PAGE}, les mieux classés d'abord." in first
    assert len(_titles(first)) == SEARCH_PAGE and 'id="plus-anciens"' not in first
    assert 'href="/?q=zibelines&amp;page=2" rel="next"' in first
    second = client.get("/", params={"q": "zibelines", "page": "2"}).text
    assert len(_titles(second)) == 5 and 'rel="next"' not in second and 'rel="prev"' in second
    assert set(_titles(first)).isdisjoint(_titles(second))
    assert len(set(_titles(first) + _titles(second))) == SEARCH_PAGE + 5
    beyond = client.get("/", params={"q": "zibelines", "page": "9"})
    assert beyond.status_code == 200 and "Pas de page 9" in beyond.text
    wrong = client.get("/", params={"q": "zibelines", "page": "zéro"})
    assert wrong.status_code == 400 and "page invalide « zéro » (un nombre à partir de 1)" in wrong.text


def test_only_the_newest_matches_are_ranked_and_the_page_says_so(desk: Served) -> None:
    _archive(desk, SEARCH_CANDIDATES + 3)
    client, _ = signed_in(desk, "lecture")
    page = client.get("/", params={"q": "zibeline"}).text
    assert f"{SEARCH_CANDIDATES} résultats, les plus récents, pour « zibeline »" in page
    assert 'id="plus-anciens"' in page and "choisissez une date « du », une source ou un thème" in page
    last = SEARCH_CANDIDATES // SEARCH_PAGE
    shown = [
        title for number in range(1, last + 1) for title in _titles(client.get(f"/?q=zibeline&page={number}").text)
    ]
    # The three oldest are not among the newest ones; every other one is, once.
    assert sorted(shown) == [f"La zibeline numéro {n:03d}" for n in range(3, SEARCH_CANDIDATES + 3)]
