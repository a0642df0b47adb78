"""`watcher demo --web`: the demo's data browsable in one command, behind a one-time account."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_web_serves_the_demo_data(tmp_path: Path) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "watcher", "-c", str(REPO_ROOT / "sources.yaml"), "demo", "--web"]
    env = {**os.environ, "COLUMNS": "300", "WATCHER_WORKERS": "0"}
    demo = subprocess.Popen(
        [*command, "--port", str(port), "--out", str(tmp_path / "demo-out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        password = None
        assert demo.stdout is not None
        for line in demo.stdout:
            found = re.search(r"compte « demo », mot de passe « (\S+) »", line)
            if found:
                password = found.group(1)
                break
        assert password, "the demo prints its one-time password"
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                page = client.get("/connexion")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the desk never answered"
                time.sleep(0.2)
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        answer = client.post("/connexion", data={"csrf": token.group(1), "nom": "demo", "mot_de_passe": password})
        assert answer.status_code == 303
        today = client.get("/").text
        assert "Laval : les urgences fermées la nuit faute de médecins" in today
        assert "On parle de nous" in today
        assert "Flux cassé" in client.get("/sources").text  # the demo's sources, not those of sources.yaml
    finally:
        demo.terminate()
        demo.wait(timeout=20)
