"""The desk's safety over HTTP: CSRF, roles, the sign-in rate limit, cookies, headers, French errors."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlmodel import select

from store.db import session_scope
from store.models import DeskClick, PressMention, Tribune, Verdict
from tests.web import deskdata
from tests.web.conftest import Served
from watcher.web import accounts


def _token(client: httpx.Client, path: str = "/connexion") -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match, path
    return match.group(1)


def signed_in(desk: Served, name: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=desk.url)
    answer = client.post(
        "/connexion", data={"csrf": _token(client), "nom": name, "mot_de_passe": deskdata.PASSWORD, "suite": "/"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/", answer.text
    return client, _token(client, "/")


def _desk_rows(desk: Served) -> tuple[int, int, int]:
    with session_scope(desk.engine) as session:
        return (
            len(session.exec(select(Verdict)).all()),
            len(session.exec(select(Tribune)).all()),
            len(session.exec(select(PressMention).where(PressMention.status == "validee")).all()),
        )


def _actions(desk: Served) -> list[tuple[str, dict[str, str]]]:
    item = desk.data.ids[deskdata.LAVAL["link"]]
    return [
        (f"/article/{item}/avis", {"theme": "hopital", "avis": "pertinent"}),
        (f"/article/{item}/tribune", {"note": "à creuser"}),
        (f"/article/{item}/on-parle-de-nous", {}),
        (f"/article/{item}/pas-le-meme-sujet", {}),
        (f"/tribunes/{item}", {"statut": "en rédaction"}),
        ("/on-parle-de-nous/1/valider", {}),
        ("/on-parle-de-nous/ajouter", {"media": "France Inter", "date": "2026-11-20", "titre": "Le 7/9"}),
        ("/sources/reactiver", {"source": "Presse du bureau"}),
    ]


def test_a_post_without_a_csrf_token_gets_403_and_changes_nothing(desk: Served) -> None:
    client, token = signed_in(desk, "admin")
    before = _desk_rows(desk)
    for path, form in _actions(desk):
        for bad in ({}, {"csrf": "faux"}, {"csrf": token + "x"}):
            answer = client.post(path, data={**form, **bad})
            assert answer.status_code == 403, path
            assert "jeton de sécurité absent ou faux" in answer.text
    # Logging out is a form too: without the token, the session stays open.
    assert client.post("/deconnexion").status_code == 403
    assert client.get("/").status_code == 200
    assert _desk_rows(desk) == before
    # The same form with its token goes through: the check is not a wall.
    item = desk.data.ids[deskdata.LAVAL["link"]]
    answer = client.post(f"/article/{item}/avis", data={"csrf": token, "theme": "hopital", "avis": "pertinent"})
    assert answer.status_code == 303
    assert _desk_rows(desk)[0] == before[0] + 1


def test_a_lecture_account_reads_but_cannot_act(desk: Served) -> None:
    client, token = signed_in(desk, "lecture")
    before = _desk_rows(desk)
    for path in ("/", "/tribunes", "/on-parle-de-nous", "/sources", "/regles", "/on-parle-de-nous/2026.csv"):
        assert client.get(path).status_code == 200, path
    page = client.get(f"/article/{desk.data.ids[deskdata.LAVAL['link']]}").text
    assert "Votre compte est en lecture seule." in page and 'name="avis"' not in page
    for path, form in _actions(desk):
        answer = client.post(path, data={**form, "csrf": token})
        assert answer.status_code == 403, path
        assert "ne permet pas cette action" in answer.text
    assert _desk_rows(desk) == before
    # Coordination acts on items but does not manage sources.
    coordinator, token = signed_in(desk, "coordination")
    answer = coordinator.post("/sources/reactiver", data={"csrf": token, "source": "Presse du bureau"})
    assert answer.status_code == 403 and "il faut le rôle « admin »" in answer.text


def test_a_signed_out_visitor_is_sent_to_the_sign_in_page(desk: Served) -> None:
    client = httpx.Client(base_url=desk.url)
    answer = client.get("/on-parle-de-nous/2026.xlsx")
    assert answer.status_code == 303 and answer.headers["location"] == "/connexion?suite=/on-parle-de-nous/2026.xlsx"
    assert client.post("/article/1/tribune", data={"csrf": _token(client)}).status_code == 403


def test_sign_in_is_rate_limited_per_account_and_per_address(desk: Served) -> None:
    client = httpx.Client(base_url=desk.url)

    def attempt(name: str, password: str) -> httpx.Response:
        return client.post("/connexion", data={"csrf": _token(client), "nom": name, "mot_de_passe": password})

    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        assert attempt("coordination", "mauvais mot de passe").status_code == 401
    blocked = attempt("coordination", deskdata.PASSWORD)  # the right password, too late
    assert blocked.status_code == 429
    assert "Trop de tentatives de connexion : réessayez dans 15 minutes." in blocked.text
    assert attempt("admin", deskdata.PASSWORD).status_code == 303  # another account is not held up
    client.cookies.clear()
    desk.clock.now += accounts.ATTEMPT_WINDOW + timedelta(seconds=1)
    assert attempt("coordination", deskdata.PASSWORD).status_code == 303

    # From one address, many names: the address waits, whatever name comes next.
    client.cookies.clear()
    for number in range(accounts.MAX_FAILURES_PER_ADDRESS):
        assert attempt(f"inconnu{number}", "devine").status_code in (401, 429)
    assert attempt("lecture", deskdata.PASSWORD).status_code == 429


def test_session_cookie_and_security_headers(desk: Served) -> None:
    client = httpx.Client(base_url=desk.url)
    answer = client.post("/connexion", data={"csrf": _token(client), "nom": "admin", "mot_de_passe": deskdata.PASSWORD})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    for path in ("/", "/connexion", "/article/999999", "/static/desk.css"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
    # A forged cookie opens nothing.
    forged = httpx.Client(base_url=desk.url, cookies={"veille_bureau": client.cookies["veille_bureau"][:-3] + "AAA"})
    assert forged.get("/").status_code == 303


def test_a_secure_desk_marks_its_cookie_secure(desk: Served) -> None:
    from watcher.web.app import create_app
    from watcher.web.serve import serving

    app = create_app(desk.engine, desk.config, clock=desk.clock, secret="s" * 40, secure=True)
    with serving(app) as url:
        client = httpx.Client(base_url=url)
        answer = client.get("/connexion")
    assert "secure" in answer.headers["set-cookie"].lower()
    assert answer.headers["strict-transport-security"] == "max-age=31536000"


def test_a_disabled_account_is_signed_out_at_once(desk: Served) -> None:
    client, _ = signed_in(desk, "coordination")
    with session_scope(desk.engine) as session:
        accounts.disable(session, "coordination", deskdata.NOW)
    assert client.get("/").status_code == 303


def test_wrong_input_gets_a_french_message_never_a_traceback(desk: Served) -> None:
    client, token = signed_in(desk, "coordination")
    cases = {
        "/article/999999": (404, "Article n° 999999 introuvable"),
        "/article/abc": (404, "Page introuvable."),
        "/?du=2026-02-30": (400, "du : date invalide « 2026-02-30 » (format attendu : AAAA-MM-JJ)"),
        "/?theme=inconnu": (400, "thème inconnu « inconnu »"),
        "/?q=le+la+les": (400, "rien à chercher dans « le la les »"),
        "/on-parle-de-nous?annee=deux-mille": (400, "Année invalide « deux-mille »"),
        "/on-parle-de-nous/2026.pdf": (404, "Format inconnu « pdf »"),
    }
    for path, (status, message) in cases.items():
        answer = client.get(path)
        assert answer.status_code == status, path
        assert message in answer.text, path
        assert "Traceback" not in answer.text
    answer = client.post("/on-parle-de-nous/ajouter", data={"csrf": token, "media": "France Inter", "date": "hier"})
    assert answer.status_code == 303
    assert "Parution non ajoutée : date invalide « hier »" in client.get("/on-parle-de-nous").text
    client.post("/on-parle-de-nous/ajouter", data={"csrf": token, "media": "", "date": "2026-11-20", "titre": "x"})
    assert "Parution non ajoutée : indiquez le média" in client.get("/on-parle-de-nous").text
    item = desk.data.ids[deskdata.LAVAL["link"]]
    answer = client.post(f"/article/{item}/avis", data={"csrf": token, "theme": "greve", "avis": "pertinent"})
    assert answer.status_code == 400 and "Thème « greve » absent de cet article" in answer.text
    client.post(f"/article/{item}/tribune", data={"csrf": token})
    client.post(f"/tribunes/{item}", data={"csrf": token, "statut": "publiée"})
    assert "une tribune publiée doit indiquer son média" in client.get("/tribunes").text
    with session_scope(desk.engine) as session:
        assert session.exec(select(Tribune)).one().status == "a_etudier"  # the refused change left nothing behind
        assert session.exec(select(DeskClick)).all() == []  # the desk's clicks are not Slack's
