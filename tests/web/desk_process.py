"""The desk as a user starts it: `python -m watcher … web` or `demo --web` in a child process, signed in over HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import REPO_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(command: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """`watcher -c sources.yaml COMMAND…` in a child process (no worker processes), stopped on leaving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "watcher", "-c", str(REPO_ROOT / "sources.yaml"), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "300", "WATCHER_WORKERS": "0", **env},
        cwd=cwd,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def demo_password(demo: subprocess.Popen[str]) -> str | None:
    """The one-time password `demo --web` prints, read from its output (None if it never does)."""
    assert demo.stdout is not None
    for line in demo.stdout:
        found = re.search(r"compte « demo », mot de passe « (\S+) »", line)
        if found:
            return found.group(1)
    return None


def signed_in(port: int, name: str, password: str) -> httpx.Client:
    """A client signed in to the desk on `port`, once it answers (within a minute)."""
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
    answer = client.post("/connexion", data={"csrf": token.group(1), "nom": name, "mot_de_passe": password})
    assert answer.status_code == 303, answer.text
    return client
