"""Redraw the desk's screenshots in docs/bureau/ from the demo, as a user sees it.

    pip install -e '.[test]' && python tools/screenshots.py [--out docs/bureau]

Runs `watcher --now 2026-11-23T07:00 demo --web` in a child process (the demo's snapshot, moved to the morning it
was written for, so that the pictures do not change with the day they are taken), signs in with the one-time
« demo » account it prints, and photographs each page in Debian's headless Chromium (selenium, chromium-driver)
at 1280 pixels wide, each page as tall as its content (up to 2,400 pixels). The desk's few emoji (« 📰 ») need
Debian's fonts-noto-color-emoji, which a user's browser has. The article shown is the first story
of « Aujourd'hui »; the simulation is run with the hospital theme's alert threshold lowered to 60. Before the
pictures, the script acts as a coordinator would on a first morning (a verdict, a tribune, two mentions validated).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T07:00"
WIDTH, MAX_HEIGHT = 1280, 2400
CHROMIUM = os.environ.get("VEILLE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("VEILLE_CHROMEDRIVER", "/usr/bin/chromedriver")
# Without these, a headless Chromium on a closed network waits on Google's services.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    f"--window-size={WIDTH},1000",
)
# file name → the page's address on the desk; « article » and « simulation » are reached by clicking.
PAGES = {
    "aujourdhui": "/",
    "recherche": "/?q=urgences+fermees",
    "tribunes": "/tribunes",
    "on-parle-de-nous": "/on-parle-de-nous",
    "sources": "/sources",
    "regles": "/regles",
    "observatoire": "/observatoire?annee=2026",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def demo_desk(port: int, work: Path) -> Iterator[str]:
    """The demo's desk on `port`; yields the one-time password it prints."""
    command = [
        sys.executable,
        "-m",
        "watcher",
        "-c",
        str(REPO / "sources.yaml"),
        "--now",
        NOW,
        "demo",
        "--web",
        "--port",
        str(port),
        "--out",
        "demo-out",
    ]
    process = subprocess.Popen(
        command,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            found = re.search(r"compte « demo », mot de passe « (\S+) »", line)
            if found:
                yield found.group(1)
                return
        raise SystemExit("la démonstration s'est arrêtée sans ouvrir le bureau")
    finally:
        process.terminate()
        process.wait(timeout=30)


def _browser(profile: str) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _photograph(driver: Any, path: Path) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WIDTH, min(int(height) + 20, MAX_HEIGHT))
    driver.save_screenshot(str(path))
    driver.set_window_size(WIDTH, 1000)
    print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def _wait_for_desk(driver: Any, base: str) -> None:
    from selenium.common.exceptions import WebDriverException

    deadline = time.monotonic() + 120
    while True:
        try:
            driver.get(base + "/connexion")
            if driver.find_elements("name", "nom"):
                return
        except WebDriverException:
            pass  # the desk is still starting: the connection is refused
        if time.monotonic() > deadline:
            raise SystemExit("le bureau n'a pas répondu en deux minutes")
        time.sleep(0.5)


def _click_through(driver: Any, element: Any) -> None:
    """Click a link or a form's button, and wait for the page it leads to: looking for an element before it has come
    would find it on the page being left."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.wait import WebDriverWait

    leaving = driver.find_element("tag name", "html")

    def left(_: Any) -> bool:
        try:
            leaving.is_enabled()
        except WebDriverException:  # stale, or (this chromedriver) « Node … does not belong to the document »
            return True
        return False

    element.click()
    WebDriverWait(driver, 60).until(left)


def _act_as_the_coordinator(driver: Any, base: str) -> None:
    """What a coordinator does on a first morning, so that the pages are not empty: a « pertinent » verdict and a
    tribune flagged on the first story, and two detected mentions validated."""
    driver.get(base + "/")
    _click_through(driver, driver.find_element("css selector", "a[href^='/article/']"))
    _click_through(driver, driver.find_element("css selector", "button[name=avis][value=pertinent]"))
    driver.find_element("name", "note").send_keys("Angle : ce que l'AMU retire aux patients — Le Monde, Danielle")
    _click_through(driver, driver.find_element("id", "tribune"))
    for _ in range(2):
        driver.get(base + "/on-parle-de-nous")
        _click_through(driver, driver.find_element("css selector", "#a-valider button.validate"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bureau")
    out = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        print("Chromium absent : apt-get install chromium chromium-driver")
        return 1

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as work, demo_desk(port, Path(work)) as password:
        driver = _browser(str(Path(work) / "profile"))
        try:
            _wait_for_desk(driver, base)
            _photograph(driver, out / "connexion.png")
            driver.find_element("name", "nom").send_keys("demo")
            driver.find_element("name", "mot_de_passe").send_keys(password)
            _click_through(driver, driver.find_element("css selector", "form button[type=submit]"))
            _act_as_the_coordinator(driver, base)
            for name, address in PAGES.items():
                driver.get(base + address)
                _photograph(driver, out / f"{name}.png")
            driver.get(base + "/")
            _click_through(driver, driver.find_element("css selector", "a[href^='/article/']"))
            _photograph(driver, out / "article.png")
            driver.get(base + "/simulation?theme=hopital")
            threshold = driver.find_element("name", "seuil_alerte")
            threshold.clear()
            threshold.send_keys("60")
            _click_through(driver, driver.find_element("css selector", "#simulation-form button[type=submit]"))
            _photograph(driver, out / "simulation.png")
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
