"""« Publier dans la revue » on the desk's article page: a POST with its CSRF token, for the coordination role."""

from __future__ import annotations

from store import revue as store_revue
from store.db import session_scope
from tests.web import deskdata
from tests.web.conftest import Served
from tests.web.test_security import signed_in


def _picked(desk: Served, item: int) -> bool:
    with session_scope(desk.engine) as session:
        return store_revue.is_picked(session, item)


def test_the_coordinator_publishes_an_article_in_the_revue_and_takes_it_back(desk: Served) -> None:
    item = desk.data.ids[deskdata.LAVAL["link"]]
    client, token = signed_in(desk, "coordination")
    assert "Publier dans la revue" in client.get(f"/article/{item}").text
    answer = client.post(f"/article/{item}/revue", data={"csrf": token, "publier": "oui"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/article/{item}"
    page = client.get(f"/article/{item}").text
    assert "Article ajouté à la revue de presse." in page and "Retirer de la revue" in page
    assert _picked(desk, item)
    client.post(f"/article/{item}/revue", data={"csrf": token, "publier": "oui"})
    assert "Déjà dans la revue de presse." in client.get(f"/article/{item}").text
    client.post(f"/article/{item}/revue", data={"csrf": token, "publier": "non"})
    assert "Article retiré de la revue de presse." in client.get(f"/article/{item}").text
    assert not _picked(desk, item)


def test_the_revue_button_is_guarded(desk: Served) -> None:
    item = desk.data.ids[deskdata.LAVAL["link"]]
    reader, token = signed_in(desk, "lecture")
    assert f'action="/article/{item}/revue"' not in reader.get(f"/article/{item}").text
    answer = reader.post(f"/article/{item}/revue", data={"csrf": token, "publier": "oui"})
    assert answer.status_code == 403 and "ne permet pas cette action" in answer.text
    coordinator, token = signed_in(desk, "coordination")
    assert coordinator.post(f"/article/{item}/revue", data={"publier": "oui"}).status_code == 403  # no CSRF token
    answer = coordinator.post(f"/article/{item}/revue", data={"csrf": token, "publier": "peut-être"})
    assert answer.status_code == 400 and "Choix inconnu « peut-être » : « oui » ou « non » attendu." in answer.text
    answer = coordinator.post("/article/999999/revue", data={"csrf": token, "publier": "oui"})
    assert answer.status_code == 404 and "Article n° 999999 introuvable" in answer.text
    assert not _picked(desk, item)
