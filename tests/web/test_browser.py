"""The desk in a real Chromium: the scenarios of issue 18, each from the sign-in page."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlmodel import select

from store.db import session_scope
from store.models import PressMention, Tribune
from tests.web import deskdata
from tests.web.conftest import Served

WAIT = 15  # seconds a page may take to appear; a ceiling, never a measure


def _wait(driver: Any) -> WebDriverWait:
    return WebDriverWait(driver, WAIT)


def log_in(driver: Any, desk: Served, name: str = "coordination", password: str = deskdata.PASSWORD) -> None:
    driver.get(desk.url + "/")
    _wait(driver).until(seen.url_contains("/connexion"))
    driver.find_element(By.NAME, "nom").send_keys(name)
    driver.find_element(By.NAME, "mot_de_passe").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/connexion'] button").click()


def flash(driver: Any) -> str:
    return _wait(driver).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".flash"))).text


def test_log_in(browser: Any, desk: Served) -> None:
    log_in(browser, desk, password="pas le bon mot de passe")
    assert "Nom ou mot de passe incorrect" in flash(browser)
    assert browser.find_elements(By.CSS_SELECTOR, "nav") == []
    log_in(browser, desk)
    _wait(browser).until(seen.presence_of_element_located((By.CSS_SELECTOR, "nav")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Aujourd'hui"
    assert "coordination" in browser.find_element(By.CSS_SELECTOR, ".who").text


def test_browse_today_and_open_a_story(browser: Any, desk: Served) -> None:
    log_in(browser, desk)
    section = _wait(browser).until(seen.presence_of_element_located((By.ID, "theme-hopital")))
    assert section.find_element(By.TAG_NAME, "h2").text.startswith("Hôpital et accès aux soins")
    mention = browser.find_element(By.ID, "theme-mention")
    assert "Action Patients interpelle le gouvernement" in mention.text
    story = next(s for s in section.find_elements(By.CSS_SELECTOR, ".story") if "Laval : les urgences" in s.text)
    assert "2 médias : Presse du bureau, Autre journal" in story.text
    assert (
        "Urgences de Laval fermées la nuit faute de médecins urgentistes"
        in story.find_element(By.CSS_SELECTOR, ".followups").text
    )
    story.find_element(By.CSS_SELECTOR, "a.story-link").click()
    _wait(browser).until(seen.url_contains(f"/article/{desk.data.ids[deskdata.LAVAL['link']]}"))
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Le sujet : 2 articles" in page
    assert "Autre journal" in page
    assert "Score" in page and "Pourquoi (règles déclenchées)" in page
    # The filters: the theme « On parle de nous » is a section, not a theme; « drop » shows nothing here.
    Select(_today_filters(browser, desk)).select_by_value("drop")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    _wait(browser).until(seen.url_contains("decision=drop"))
    assert "Rien de notable dans la période." in browser.find_element(By.TAG_NAME, "main").text


def _today_filters(driver: Any, desk: Served) -> Any:
    driver.get(desk.url + "/")
    return _wait(driver).until(seen.presence_of_element_located((By.NAME, "decision")))


def _search(driver: Any, desk: Served, words: str) -> list[str]:
    driver.get(desk.url + "/")
    box = _wait(driver).until(seen.presence_of_element_located((By.NAME, "q")))
    box.send_keys(words)
    box.submit()
    _wait(driver).until(seen.presence_of_element_located((By.ID, "resultats")))
    return [hit.text for hit in driver.find_elements(By.CSS_SELECTOR, ".hit a.title")]


def test_search_with_and_without_accents(browser: Any, desk: Served) -> None:
    log_in(browser, desk)
    _wait(browser).until(seen.presence_of_element_located((By.NAME, "q")))
    accented = _search(browser, desk, "urgences fermées")
    plain = _search(browser, desk, "urgences fermees")
    marked = {mark.text.lower() for mark in browser.find_elements(By.CSS_SELECTOR, ".snippet mark")}
    assert "urgences" in marked, marked  # the matched words stand out, as in `watcher search`
    assert "Laval : les urgences fermées la nuit faute de médecins" in accented
    assert sorted(accented) == sorted(plain)
    assert _search(browser, desk, "hopitaux bretons") == ["Les hôpitaux bretons manquent de soignants"]
    assert _search(browser, desk, "châtaigne") == []
    assert "Aucun article ne contient ces mots" in browser.find_element(By.TAG_NAME, "main").text


def test_flag_a_tribune_and_move_it_to_publiee(browser: Any, desk: Served) -> None:
    item_id = desk.data.ids[deskdata.HOSPITALS["link"]]
    log_in(browser, desk)
    _wait(browser).until(seen.presence_of_element_located((By.NAME, "q")))
    browser.get(f"{desk.url}/article/{item_id}")
    note = _wait(browser).until(seen.presence_of_element_located((By.NAME, "note")))
    note.send_keys("Angle : les soignants bretons, viser Ouest-France")
    browser.find_element(By.ID, "tribune").click()
    assert flash(browser) == "Article ajouté aux tribunes (à étudier)."
    assert "Tribune à étudier — signalée par coordination" in browser.find_element(By.CSS_SELECTOR, "ul.state").text

    browser.get(desk.url + "/tribunes")
    entry = _wait(browser).until(seen.presence_of_element_located((By.ID, f"tribune-{item_id}")))
    assert entry.find_element(By.XPATH, "ancestor::section").get_attribute("id") == "statut-a_etudier"
    Select(entry.find_element(By.NAME, "statut")).select_by_visible_text("publiée")
    entry.find_element(By.NAME, "media").send_keys("Ouest-France")
    entry.find_element(By.NAME, "adresse").send_keys("https://ouest-france.test/tribune-soignants")
    entry.find_element(By.CSS_SELECTOR, "button").click()
    assert flash(browser) == "Tribune : publiée. Inscrite au registre « On parle de nous »."
    published = browser.find_element(By.ID, f"tribune-{item_id}")
    assert published.find_element(By.XPATH, "ancestor::section").get_attribute("id") == "statut-publiee"
    with session_scope(desk.engine) as session:
        tribune = session.exec(select(Tribune).where(Tribune.item_id == item_id)).one()
        entry_row = session.exec(select(PressMention).where(PressMention.tribune_id == tribune.id)).one()
    assert (tribune.status, tribune.outlet, tribune.flagged_by) == ("publiee", "Ouest-France", "coordination")
    assert (entry_row.status, entry_row.origin, entry_row.outlet) == ("validee", "tribune", "Ouest-France")


def test_validate_a_detected_mention_and_download_the_xlsx(browser: Any, desk: Served, downloads: Path) -> None:
    log_in(browser, desk)
    _wait(browser).until(seen.presence_of_element_located((By.NAME, "q")))
    browser.get(desk.url + "/on-parle-de-nous")
    pending = _wait(browser).until(seen.presence_of_element_located((By.ID, "a-valider")))
    entry = pending.find_element(By.CSS_SELECTOR, ".mention")
    assert "Action Patients interpelle le gouvernement" in entry.text
    assert "Danielle Vacher" in entry.text
    entry.find_element(By.CSS_SELECTOR, "button.validate").click()
    assert flash(browser).startswith("Parution n° 1 validée")
    assert "Rien à valider." in browser.find_element(By.ID, "a-valider").text
    year_view = browser.find_element(By.ID, "annee").text
    assert "Novembre 2026 (1)" in year_view and "presse-bureau.test" not in year_view

    for old in downloads.glob("*"):
        old.unlink()
    browser.find_element(By.ID, "download-xlsx").click()
    target = downloads / "on-parle-de-nous-2026.xlsx"
    deadline = time.monotonic() + WAIT
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.exists(), list(downloads.iterdir())
    sheet = load_workbook(target).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["Mois", "Date", "Média", "Type", "Titre"]
    assert rows[1] == ["Novembre 2026", *[None] * (len(rows[0]) - 1)]
    row = rows[2]
    assert row[0] == "novembre 2026" and row[1].date().isoformat() == "2026-11-24"
    assert row[2:6] == ["Presse du bureau", "web", deskdata.MENTION["title"], deskdata.MENTION["link"]]
    assert row[7:10] == ["Danielle Vacher", "validée", "détectée"]


def test_log_out(browser: Any, desk: Served) -> None:
    log_in(browser, desk)
    button = _wait(browser).until(seen.element_to_be_clickable((By.CSS_SELECTOR, ".who button")))
    button.click()
    assert flash(browser) == "Vous êtes déconnecté(e)."
    browser.get(desk.url + "/tribunes")
    _wait(browser).until(seen.url_contains("/connexion?suite=/tribunes"))
    assert browser.find_elements(By.CSS_SELECTOR, "nav") == []


def _no_dialog(driver: Any) -> bool:
    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return True
    raise AssertionError(f"a dialog opened: {text!r}")


def test_a_hostile_feed_item_renders_inert(browser: Any, desk: Served) -> None:
    hostile, trapped = desk.data.ids[deskdata.HOSTILE["link"]], desk.data.hostile_link_id
    log_in(browser, desk)
    _wait(browser).until(seen.presence_of_element_located((By.NAME, "q")))
    pages = ["/", f"/article/{hostile}", f"/article/{trapped}", "/?q=urgences"]
    for page in pages:
        browser.get(desk.url + page)
        _wait(browser).until(seen.presence_of_element_located((By.TAG_NAME, "main")))
        assert _no_dialog(browser), page
        assert browser.find_elements(By.TAG_NAME, "script") == [], page
        assert browser.find_elements(By.CSS_SELECTOR, "img, [onerror]") == [], page
        hrefs = [link.get_attribute("href") or "" for link in browser.find_elements(By.TAG_NAME, "a")]
        assert not [href for href in hrefs if href.lower().startswith("javascript:")], page
    # The hostile text is shown as text, exactly as the feed wrote it.
    browser.get(f"{desk.url}/article/{hostile}")
    title = _wait(browser).until(seen.presence_of_element_located((By.CSS_SELECTOR, "h1.title"))).text
    assert title == "Urgences <script>alert('titre')</script><img src=x onerror=alert('img')> à Laval"
    browser.get(f"{desk.url}/article/{trapped}")
    main = _wait(browser).until(seen.presence_of_element_located((By.TAG_NAME, "main"))).text
    assert "Adresse non web, non cliquable : javascript:alert('adresse')" in main
    assert _no_dialog(browser)


def _retype(field: Any, text: str) -> None:
    field.clear()
    field.send_keys(text)


def test_run_the_what_if_preview(browser: Any, desk: Served) -> None:
    log_in(browser, desk)
    _wait(browser).until(seen.element_to_be_clickable((By.LINK_TEXT, "Simulation"))).click()
    terms = _wait(browser).until(seen.presence_of_element_located((By.NAME, "termes")))
    assert "urgentistes = 20" in (terms.get_attribute("value") or "")
    # A wrong weight first: a French message on the page, and the form kept as typed.
    _retype(terms, "urgences = beaucoup")
    browser.find_element(By.CSS_SELECTOR, "#simulation-form button").click()
    error = _wait(browser).until(seen.presence_of_element_located((By.ID, "simulation-erreur"))).text
    assert error.startswith("Termes, ligne 1 : poids invalide « beaucoup » pour « urgences »")
    assert browser.find_element(By.NAME, "termes").get_attribute("value") == "urgences = beaucoup"
    # Then the group's question: « urgentistes » as a penalty, and stricter thresholds, over the last week.
    browser.get(desk.url + "/simulation?theme=hopital")
    terms = _wait(browser).until(seen.presence_of_element_located((By.NAME, "termes")))
    _retype(terms, (terms.get_attribute("value") or "").replace("urgentistes = 20", "urgentistes = -100"))
    for name, value in (("seuil_synthese", "80"), ("seuil_alerte", "95"), ("jours", "7")):
        _retype(browser.find_element(By.NAME, name), value)
    browser.find_element(By.CSS_SELECTOR, "#simulation-form button").click()
    result = _wait(browser).until(seen.presence_of_element_located((By.ID, "simulation-resultat")))
    counts = browser.find_element(By.ID, "simulation-comptes").text.splitlines()
    assert counts == [
        "0 entrent (écartés → synthèse ou alerte)",
        "3 sortent (→ écartés)",
        "0 deviennent des alertes (synthèse → alerte)",
        "1 ne sont plus des alertes (alerte → synthèse)",
        "1 changent de note sans changer de décision",
    ]
    leaving = [row.text for row in result.find_elements(By.CSS_SELECTOR, "tr.changement")]
    assert any(deskdata.LAVAL_AGAIN["title"] in row and "alerte 90" in row for row in leaving)
    assert any(deskdata.HOSPITALS["title"] in row and row.endswith("alerte 93 synthèse 93") for row in leaving)
    # The hostile title is listed as text; nothing of it runs or renders.
    assert any("Urgences <script>alert('titre')</script><img src=x onerror=alert('img')> à Laval" in r for r in leaving)
    assert _no_dialog(browser)
    assert browser.find_elements(By.CSS_SELECTOR, "script, img, [onerror]") == []
    snippet = browser.find_element(By.CSS_SELECTOR, "#simulation-yaml pre").text
    assert "urgentistes: -100" in snippet and "digest_threshold: 80" in snippet and "alert_threshold: 95" in snippet
    # Nothing was saved: the desk still judges with sources.yaml's rules, and the article keeps its decision.
    assert desk.config.topics["hopital"].terms["urgentistes"] == 20
    browser.get(f"{desk.url}/article/{desk.data.ids[deskdata.LAVAL_AGAIN['link']]}")
    assert "alerte" in _wait(browser).until(seen.presence_of_element_located((By.TAG_NAME, "main"))).text
