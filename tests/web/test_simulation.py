"""« Simulation » over HTTP: the coordination's form, its CSRF token, its French errors, and nothing ever saved."""

from __future__ import annotations

import html

import httpx
from sqlmodel import select

from store.db import session_scope
from store.models import Score
from tests.web import deskdata
from tests.web.conftest import Served
from tests.web.test_security import signed_in
from watcher.web.pages.simulation import terms_lines

# Laval's follow-up and the two hostile items leave, the Breton hospitals go back to the digest: the change the
# browser scenario makes too.
PENALTY = ("urgentistes = 20", "urgentistes = -100")


def form(desk: Served, **changes: str) -> dict[str, str]:
    hopital = desk.config.topics["hopital"]
    values = {
        "theme": "hopital",
        "termes": terms_lines(hopital.terms),
        "exclusions": "\n".join(hopital.exclude),
        "seuil_synthese": "33",
        "seuil_alerte": "90",
        "jours": "7",
    }
    return {**values, **changes}


def _scores(desk: Served) -> list[tuple[int, int, str, list[str]]]:
    with session_scope(desk.engine) as session:
        rows = session.exec(select(Score).order_by(Score.item_id)).all()
        return [(row.item_id, row.score, row.decision, row.why) for row in rows]


def test_the_form_shows_the_difference_and_the_yaml_and_saves_nothing(desk: Served) -> None:
    client, token = signed_in(desk, "coordination")
    page = client.get("/simulation")
    assert page.status_code == 200
    assert "urgentistes = 20" in html.unescape(page.text)  # the running rules, to edit
    before = _scores(desk)
    terms = form(desk)["termes"].replace(*PENALTY)
    answer = client.post(
        "/simulation",
        data={**form(desk, termes=terms, seuil_synthese="80", seuil_alerte="95"), "csrf": token},
    )
    assert answer.status_code == 200, answer.text
    text = html.unescape(answer.text)
    assert "Résultat sur 6 articles collectés" in text
    assert "<strong>3</strong> sortent (→ écartés)" in text
    assert "<strong>1</strong> ne sont plus des alertes (alerte → synthèse)" in text
    assert deskdata.LAVAL_AGAIN["title"] in text and "alerte 90" in text
    # The hostile title is shown as text: its markup escaped, no element of its own.
    assert "<script>alert('titre')" not in answer.text
    assert "&lt;script&gt;alert(&#39;titre&#39;)&lt;/script&gt;" in answer.text
    assert "<img src=x" not in answer.text
    # The YAML to copy holds what changed, and only that.
    snippet = text[text.index('<pre class="snippet">') :]
    assert "topics:\n  hopital:\n    terms:" in snippet
    assert "urgentistes: -100" in snippet
    assert "alerts:\n  digest_threshold: 80\n  alert_threshold: 95" in snippet
    assert "exclude:" not in snippet
    assert _scores(desk) == before
    assert desk.config.topics["hopital"].terms["urgentistes"] == 20


def test_the_running_rules_change_nothing(desk: Served) -> None:
    client, token = signed_in(desk, "admin")
    answer = client.post("/simulation", data={**form(desk), "csrf": token})
    assert answer.status_code == 200
    text = html.unescape(answer.text)
    assert "Ces règles sont celles en service : rien ne peut changer." in text
    assert "Aucun article ne changerait de décision." in text
    assert "À recopier dans sources.yaml" not in text


WRONG_INPUTS = [
    ({"theme": "cuisine"}, "Thème inconnu « cuisine » (thèmes : hopital, greve, ame)"),
    ({"termes": "urgences = beaucoup"}, "Termes, ligne 1 : poids invalide « beaucoup » pour « urgences »"),
    ({"termes": "urgences = 30\n = 12"}, "Termes, ligne 2 : terme vide devant « = 12 »"),
    ({"termes": "urgences 30"}, "Termes, ligne 1 : « urgences 30 » — écrivez « terme = poids »"),
    ({"termes": "urgences = 300"}, "Termes, ligne 1 : poids 300 hors limites pour « urgences » (de -100 à 100)"),
    ({"termes": "\n\n"}, "Termes : aucun terme ; il en faut au moins un de poids positif"),
    (
        {"termes": "urgences = 30"},
        "Thème « hopital » : « dampen » « fait divers ou justice sans question de système de soins » cite "
        "« plainte », qui n'est pas dans « terms »",
    ),
    ({"exclusions": "« … »"}, "Exclusions, ligne 1 : « « … » » ne contient aucun mot"),
    ({"jours": "0"}, "Nombre de jours : 0 hors limites (de 1 à 90)"),
    ({"jours": "91"}, "Nombre de jours : 91 hors limites (de 1 à 90)"),
    ({"jours": "trente"}, "Nombre de jours : nombre entier attendu, reçu « trente »"),
    ({"seuil_synthese": "95"}, "Le seuil de la synthèse (95) dépasse le seuil d'alerte (90)"),
    ({"seuil_alerte": "cent"}, "Seuil d'alerte : nombre entier attendu, reçu « cent »"),
]


def test_wrong_input_gets_a_french_message_on_the_page(desk: Served) -> None:
    client, token = signed_in(desk, "coordination")
    for changes, message in WRONG_INPUTS:  # one desk for all: each is built by a real collection
        answer = client.post("/simulation", data={**form(desk, **changes), "csrf": token})
        assert answer.status_code == 400, changes
        assert message in html.unescape(answer.text), changes
        assert "Traceback" not in answer.text and 'id="simulation-resultat"' not in answer.text
        # What was typed stays in the form, to be corrected.
        assert f'name="jours" value="{html.escape(form(desk, **changes)["jours"])}"' in answer.text


def test_a_missing_field_is_a_french_message(desk: Served) -> None:
    client, token = signed_in(desk, "coordination")
    answer = client.post("/simulation", data={"csrf": token, "theme": "hopital"})
    assert answer.status_code == 400
    assert "Nombre de jours : à remplir (nombre entier de 1 à 90)" in html.unescape(answer.text)


def test_the_form_needs_its_csrf_token(desk: Served) -> None:
    client, token = signed_in(desk, "coordination")
    for bad in ({}, {"csrf": "faux"}, {"csrf": token + "x"}):
        answer = client.post("/simulation", data={**form(desk), **bad})
        assert answer.status_code == 403
        assert "jeton de sécurité absent ou faux" in answer.text


def test_the_page_is_for_the_coordination_and_the_admins(desk: Served) -> None:
    reader, token = signed_in(desk, "lecture")
    assert 'href="/simulation"' not in reader.get("/").text
    for answer in (reader.get("/simulation"), reader.post("/simulation", data={**form(desk), "csrf": token})):
        assert answer.status_code == 403
        assert "il faut le rôle « coordination » au moins" in html.unescape(answer.text)
    for role in ("coordination", "admin"):
        client, _ = signed_in(desk, role)
        assert 'href="/simulation"' in client.get("/").text
        assert client.get("/simulation").status_code == 200
    # A visitor without an account is sent to sign in, as everywhere on the desk.
    visitor = httpx.Client(base_url=desk.url)
    answer = visitor.get("/simulation")
    assert answer.status_code == 303 and answer.headers["location"] == "/connexion?suite=/simulation"
