"""The desk in a real Chromium: importing a register file on « On parle de nous » (issue 18, with #8's import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from sqlmodel import select

from store.db import session_scope
from store.models import PressMention
from tests.web.conftest import Served
from tests.web.test_browser import _wait, log_in

REGISTER_FILE = (
    "Date;Média;Type;Titre;Lien;Porte-parole\n"
    "2026-10-14;France Inter;radio;Le 7/9 : les déserts médicaux;;Danielle Vacher\n"
    "14 octobre;La Croix;presse;Une date sans année;;\n"
)


def _import(browser: Any, desk: Served, upload: Path) -> str:
    """Sign in, send `upload` through the import form of « On parle de nous », and read what the page says of it."""
    log_in(browser, desk)
    _wait(browser).until(seen.presence_of_element_located((By.NAME, "q")))
    browser.get(desk.url + "/on-parle-de-nous")
    form = _wait(browser).until(seen.presence_of_element_located((By.ID, "importer")))
    form.find_element(By.NAME, "fichier").send_keys(str(upload))
    form.find_element(By.CSS_SELECTOR, "button").click()
    return str(_wait(browser).until(seen.presence_of_element_located((By.ID, "import-result"))).text)


def test_import_a_register_file_and_see_the_entry_in_the_year(browser: Any, desk: Served, tmp_path: Path) -> None:
    upload = tmp_path / "registre-2026.csv"
    upload.write_text(REGISTER_FILE, encoding="utf-8-sig")  # as Excel's « CSV UTF-8 » writes it
    result = _import(browser, desk, upload)
    assert "Import de registre-2026.csv : 1 ajoutée, 0 déjà présente, 1 erreur." in result
    assert "Ligne 3, colonne « Date » : « 14 octobre » n'est pas une date" in result
    year_view = browser.find_element(By.ID, "annee").text
    assert "Octobre 2026 (1)" in year_view
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#annee tr") if "France Inter" in r.text)
    assert "Le 7/9 : les déserts médicaux" in row.text and "Danielle Vacher" in row.text and "radio" in row.text
    with session_scope(desk.engine) as session:
        entry = session.exec(select(PressMention).where(PressMention.outlet == "France Inter")).one()
    assert (entry.status, entry.origin, entry.decided_by) == ("validee", "import", "coordination")


def _lines(browser: Any, cell: Any) -> int:
    """How many lines a table cell's text takes on the page."""
    script = (
        "const range = document.createRange(); range.selectNodeContents(arguments[0]);"
        "return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;"
    )
    return int(browser.execute_script(script, cell))


def test_the_year_view_keeps_dates_and_statuses_on_one_line_beside_a_long_title(
    browser: Any, desk: Served, tmp_path: Path
) -> None:
    """Found on the screenshots: beside a long title, « 20/11/2026 » broke as « 20/11/202 » / « 6 », « validée » as
    « validé » / « e » (cells may break anywhere, so that a hostile word cannot widen the page)."""
    long_title = "Budget de la Sécu : 18 associations de patients interpellent la ministre de la Santé " * 3
    upload = tmp_path / "registre.csv"
    upload.write_text(f"Date;Média;Type;Titre\n2026-10-14;Dépêches Express;web;{long_title}\n", encoding="utf-8")
    _import(browser, desk, upload)
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#annee tr") if "Dépêches Express" in r.text)
    date, _outlet, medium, title, _spokesperson, status = row.find_elements(By.TAG_NAME, "td")
    assert (date.text, medium.text, status.text) == ("14/10/2026", "web", "validée")
    assert _lines(browser, title) > 1  # the title does wrap, so the table was squeezed
    assert [_lines(browser, cell) for cell in (date, medium, status)] == [1, 1, 1]
