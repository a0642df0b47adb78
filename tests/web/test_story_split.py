"""« Pas le même sujet » on the article page: over HTTP, with the CSRF token and the coordination role."""

from __future__ import annotations

import re

from sqlmodel import select

from store.db import session_scope
from store.models import Item, StorySplit
from tests.web import deskdata
from tests.web.conftest import Served
from tests.web.test_security import signed_in


def _story(desk: Served, item_id: int) -> int | None:
    with session_scope(desk.engine) as session:
        item = session.get(Item, item_id)
        assert item is not None
        return item.story_id


def _flash(page: str) -> str:
    match = re.search(r'<p class="flash (\w+)" role="status">([^<]+)</p>', page)
    assert match, page
    return f"{match.group(1)}: {match.group(2)}"


def test_the_article_page_splits_the_item_from_its_story(desk: Served) -> None:
    laval, again = desk.data.ids[deskdata.LAVAL["link"]], desk.data.ids[deskdata.LAVAL_AGAIN["link"]]
    former = _story(desk, laval)
    assert _story(desk, again) == former  # the other outlet's article joined the story
    client, token = signed_in(desk, "coordination")
    splits = '<p id="scissions">Scissions de sujets (« Pas le même sujet ») : {}</p>'
    rules = client.get("/regles").text
    assert splits.format(0) in rules
    assert '<p id="fusions">Fusions de sujets (un article qui en relie deux) : 0</p>' in rules
    page = client.get(f"/article/{again}").text
    assert 'id="pas-le-meme-sujet"' in page and "Le sujet : 2 articles" in page

    answer = client.post(f"/article/{again}/pas-le-meme-sujet", data={"csrf": token})
    assert answer.status_code == 303 and answer.headers["location"] == f"/article/{again}"
    new_story = _story(desk, again)
    assert new_story != former and _story(desk, laval) == former
    page = client.get(f"/article/{again}").text
    assert _flash(page) == (
        f"ok: Article séparé du sujet n° {former} : il forme désormais un sujet à lui seul (n° {new_story}) "
        "et n&#39;y sera plus rattaché."
    )
    assert f"✂️ Pas le même sujet — séparé par coordination, 24/11 10:00 : sujet n° {new_story} à lui seul" in page
    assert 'id="pas-le-meme-sujet"' not in page  # alone in its story: nothing left to split it from
    with session_scope(desk.engine) as session:
        split = session.exec(select(StorySplit)).one()
        assert (split.item_id, split.former_story_id, split.who, split.split_at) == (
            again,
            former,
            "coordination",
            deskdata.NOW,
        )

    # A second form sent from a page opened before the split: a French message, no second split.
    client.post(f"/article/{again}/pas-le-meme-sujet", data={"csrf": token})
    assert _flash(client.get(f"/article/{again}").text) == (
        f"erreur: L&#39;article {again} est déjà seul dans son sujet : "
        f"coordination l&#39;a séparé du sujet n° {former}."
    )
    with session_scope(desk.engine) as session:
        assert len(session.exec(select(StorySplit)).all()) == 1
    assert splits.format(1) in client.get("/regles").text


def test_an_unknown_article_gets_a_french_404(desk: Served) -> None:
    client, token = signed_in(desk, "coordination")
    answer = client.post("/article/999999/pas-le-meme-sujet", data={"csrf": token})
    assert answer.status_code == 404
    assert "Article n° 999999 introuvable" in answer.text
