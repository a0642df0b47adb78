"""`watcher preview --json` of a file of items, as a user runs it with the collective's sources.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.conftest import REPO_ROOT
from watcher.cli import app


def preview_rows(items: Path) -> dict[str, dict[str, Any]]:
    """Each previewed row, by the last part of its address (the items' names in the hard-case files)."""
    result = CliRunner().invoke(app, ["--config", str(REPO_ROOT / "sources.yaml"), "preview", "--json", str(items)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    return {str(row["url"]).rsplit("/", 1)[-1]: row for row in rows}
