"""`watcher demo --web`: the demo's data browsable in one command, behind a one-time account."""

from __future__ import annotations

from pathlib import Path

from tests.web.desk_process import demo_password, free_port, running, signed_in


def test_demo_web_serves_the_demo_data(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "demo-out"
    with running(["demo", "--web", "--port", str(port), "--out", str(out)], {}, tmp_path) as demo:
        password = demo_password(demo)
        assert password, "the demo prints its one-time password"
        client = signed_in(port, "demo", password)
        today = client.get("/").text
        assert "Laval : les urgences fermées la nuit faute de médecins" in today
        assert "On parle de nous" in today
        assert "Flux cassé" in client.get("/sources").text  # the demo's sources, not those of sources.yaml
