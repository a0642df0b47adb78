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


def test_import_a_register_file_and_see_the_entry_in_the_year(browser: Any, desk: Served, tmp_path: Path) -> None:
    upload = tmp_path / "registre-2026.csv"
    upload.write_text(REGISTER_FILE, encoding="utf-8-sig")  # as Excel's « CSV UTF-8 » writes it
    log_in(browser, desk)
    _wait(browser).until(seen.presence_of_element_located((By.NAME, "q")))
    browser.get(desk.url + "/on-parle-de-nous")
    form = _wait(browser).until(seen.presence_of_element_located((By.ID, "importer")))
    form.find_element(By.NAME, "fichier").send_keys(str(upload))
    form.find_element(By.CSS_SELECTOR, "button").click()

    result = _wait(browser).until(seen.presence_of_element_located((By.ID, "import-result"))).text
    assert "Import de registre-2026.csv : 1 ajoutée, 0 déjà présente, 1 erreur." in result
    assert "Ligne 3, colonne « Date » : « 14 octobre » n'est pas une date" in result
    year_view = browser.find_element(By.ID, "annee").text
    assert "Octobre 2026 (1)" in year_view
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#annee tr") if "France Inter" in r.text)
    assert "Le 7/9 : les déserts médicaux" in row.text and "Danielle Vacher" in row.text and "radio" in row.text
    with session_scope(desk.engine) as session:
        entry = session.exec(select(PressMention).where(PressMention.outlet == "France Inter")).one()
    assert (entry.status, entry.origin, entry.decided_by) == ("validee", "import", "coordination")
