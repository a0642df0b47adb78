"""The public revue de presse in a real Chromium, opened from disk as a reader would: no script, every entry there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from sqlalchemy import Engine

from store import desk as store_desk
from store.db import make_engine, session_scope
from store.models import MentionStatus
from tests.clock import NOW
from tests.deskdata import HOSPITALS, LAVAL, MENTION, collect
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.revue import picks
from watcher.revue.site import build_revue


def _revue(engine: Engine, config: Config, out: Path) -> None:
    with LocalServer() as feeds:
        _, ids = collect(engine, config, feeds)
    with session_scope(engine) as session:
        cited = store_desk.mention_for_item(session, ids[MENTION["link"]])
        assert cited is not None
        store_desk.set_mention_status(session, cited, MentionStatus.VALIDEE, "magali", now=NOW)
        picks.publish(session, ids[LAVAL["link"]], who="magali", now=NOW)
    build_revue(engine, out, now=NOW, zone=config.digest.zone)


def test_the_revue_opens_from_disk_without_any_script(
    chromium: Any, real_config: Config, migrated_sqlite: Path, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{migrated_sqlite}")
    _revue(engine, real_config, tmp_path / "revue")
    engine.dispose()
    chromium.get((tmp_path / "revue" / "index.html").as_uri())
    assert chromium.execute_script("return document.documentElement.lang") == "fr"
    assert chromium.execute_script("return document.scripts.length") == 0
    assert chromium.find_elements(By.CSS_SELECTOR, "header") and chromium.find_elements(By.CSS_SELECTOR, "footer")
    titles = [element.text for element in chromium.find_elements(By.CSS_SELECTOR, "main article h3")]
    assert titles == [MENTION["title"], LAVAL["title"]]
    assert HOSPITALS["title"] not in chromium.find_element(By.TAG_NAME, "body").text
    # The stylesheet is applied: the header's band is dark behind white text.
    band = chromium.find_element(By.CSS_SELECTOR, "header.bandeau")
    assert band.value_of_css_property("background-color") == "rgba(10, 61, 98, 1)"
    chromium.find_element(By.LINK_TEXT, "novembre 2026").click()
    assert chromium.find_element(By.TAG_NAME, "h1").text == "Revue de presse : novembre 2026"
    assert chromium.execute_script("return document.scripts.length") == 0
    link = chromium.find_element(By.LINK_TEXT, LAVAL["title"])
    assert link.get_attribute("href") == LAVAL["link"]
