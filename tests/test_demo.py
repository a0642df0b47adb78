"""`watcher demo`, the offline main job, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO_ROOT
from watcher.demo.runner import SNAPSHOT_DIR


def test_demo_runs_to_completion(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "watcher", "demo", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    manifest = yaml.safe_load((SNAPSHOT_DIR / "manifest.yaml").read_text(encoding="utf-8"))
    assert f"{len(manifest['sources'])} sources collectées (1 en erreur)" in output
    assert "✗ Flux cassé : erreur — page HTML" in output
    assert "Début de la synthèse" in output and "Terminé en" in output

    digests = sorted(out.glob("veille-*.md"))
    assert len(digests) == 1 and digests[0].with_suffix(".html").is_file()
    markdown = digests[0].read_text(encoding="utf-8")
    for heading in ("## On parle de nous", "## Hôpital et accès aux soins", "## Grèves en santé", "## Aide médicale"):
        assert heading in markdown
    assert "Sources en panne (1)" in markdown
    # Hard negatives of the snapshot stay out of the digest.
    for noise in ("SNCF", "L'Âme sœur", "El-Fasher"):
        assert noise not in markdown.split("---")[0], noise
    # ISO-8859-15 parliamentary feed: accents survive.
    assert "Ã©" not in markdown


def test_snapshot_is_big_enough_and_varied() -> None:
    import feedparser

    feeds = [path for path in SNAPSHOT_DIR.iterdir() if path.suffix == ".xml"]
    entries = sum(len(feedparser.parse(path.read_bytes()).entries) for path in feeds)
    assert len(feeds) >= 8 and entries >= 150
