"""« Observatoire » in a real Chromium: the map and chart load as images under the desk's CSP, and a place corrected
on an article page moves the year's counts."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen

from tests.web import deskdata
from tests.web.conftest import Served
from tests.web.test_browser import _wait, flash, log_in


def _loaded_width(driver: Any, element_id: str) -> int:
    """The picture's natural width once the browser has decoded it (0 for a broken or refused image)."""
    image = _wait(driver).until(seen.presence_of_element_located((By.ID, element_id)))
    _wait(driver).until(lambda d: d.execute_script("return arguments[0].complete", image))
    return int(driver.execute_script("return arguments[0].naturalWidth", image))


def _counts(driver: Any) -> dict[str, str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#par-lieu tbody tr")
    return {row.find_element(By.TAG_NAME, "th").text: row.find_element(By.TAG_NAME, "td").text for row in rows}


def test_see_the_map_and_correct_a_place(browser: Any, desk: Served) -> None:
    laval = desk.data.ids[deskdata.LAVAL["link"]]
    log_in(browser, desk)
    _wait(browser).until(seen.presence_of_element_located((By.LINK_TEXT, "Observatoire"))).click()
    _wait(browser).until(seen.url_contains("/observatoire"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Observatoire des pertes de chances — 2026"
    assert _loaded_width(browser, "map") > 0 and _loaded_width(browser, "chart") > 0
    counts = _counts(browser)
    assert counts["Pays de la Loire"] == "3" and "Bretagne" not in counts

    browser.find_element(By.CSS_SELECTOR, f"#article-{laval} a").click()
    _wait(browser).until(seen.url_contains(f"/article/{laval}"))
    assert "Laval (53130), Mayenne, Pays de la Loire" in browser.find_element(By.ID, "observatoire-lieu").text
    form = browser.find_element(By.ID, "corriger-lieu")
    form.find_element(By.NAME, "commune").send_keys("Rennes")
    form.find_element(By.CSS_SELECTOR, "button[value='lieu']").click()
    assert flash(browser) == "Lieu corrigé : Rennes (35238), Ille-et-Vilaine, Bretagne."
    assert "(corrigé)" in browser.find_element(By.ID, "observatoire-lieu").text

    browser.find_element(By.LINK_TEXT, "Observatoire").click()
    _wait(browser).until(seen.presence_of_element_located((By.ID, "par-lieu")))
    counts = _counts(browser)
    assert counts["Pays de la Loire"] == "2" and counts["Bretagne"] == "1"
    assert _loaded_width(browser, "map") > 0
    browser.find_element(By.LINK_TEXT, "Voir par département").click()
    _wait(browser).until(seen.url_contains("niveau=departement"))
    assert _loaded_width(browser, "map") > 0
    assert _counts(browser)["Ille-et-Vilaine (35)"] == "1"
