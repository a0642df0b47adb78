"""The desk served for real on 127.0.0.1 over a real SQLite database, and a real Chromium to drive it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from store.db import make_engine
from tests.localserver import LocalServer
from tests.web import deskdata
from watcher.config import Config
from watcher.web.app import create_app
from watcher.web.serve import serving

CHROMIUM = os.environ.get("VEILLE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("VEILLE_CHROMEDRIVER", "/usr/bin/chromedriver")
# Without these, a headless Chromium on a closed network waits on Google's services.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)


class Clock:
    """The desk's time, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Served:
    url: str
    engine: Engine
    config: Config
    data: deskdata.DeskData
    clock: Clock


@pytest.fixture(scope="session")
def desk_template(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, real_config: Config
) -> tuple[Path, deskdata.DeskData]:
    """The desk's database, collected once per test process: each test serves its own copy of the file."""
    path = Path(shutil.copyfile(sqlite_template, tmp_path_factory.mktemp("modele-bureau") / "veille.db"))
    engine = make_engine(f"sqlite:///{path}")
    with LocalServer() as feeds:
        data = deskdata.build(engine, real_config, feeds)
    engine.dispose()  # the last connection closed, the file holds everything (no -wal beside it)
    return path, data


@pytest.fixture
def desk(tmp_path: Path, desk_template: tuple[Path, deskdata.DeskData]) -> Iterator[Served]:
    template, built = desk_template
    engine = make_engine(f"sqlite:///{shutil.copyfile(template, tmp_path / 'veille.db')}")
    data = replace(built, ids=dict(built.ids))  # a test may add to its ids without touching the next test's
    clock = Clock(deskdata.NOW)
    app = create_app(engine, data.config, clock=clock, secret="clé de test " * 4, secure=False)
    with serving(app) as url:
        yield Served(url, engine, data.config, data, clock)
    engine.dispose()


@pytest.fixture(scope="session")
def downloads() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="bureau-telechargements-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def chromium(downloads: Path) -> Iterator[Any]:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        reason = f"Chromium absent ({', '.join(missing)}) : apt-get install chromium chromium-driver"
        if os.environ.get("VEILLE_REQUIRE_BROWSER"):
            pytest.fail(f"{reason} alors que VEILLE_REQUIRE_BROWSER est défini (CI)")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="bureau-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(chromium: Any, desk: Served) -> Iterator[Any]:
    """The session's Chromium, signed out, on this test's desk."""
    chromium.get(desk.url + "/connexion")
    chromium.delete_all_cookies()
    yield chromium
    chromium.delete_all_cookies()
