"""`watcher demo`, the offline main job, run as a user runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from alerts.digest import french_date
from tests.conftest import REPO_ROOT
from watcher.demo.dating import SNAPSHOT_READ_AT, moved_by, redated
from watcher.demo.runner import SNAPSHOT_DIR


@pytest.mark.parametrize(
    ("now", "day"),
    [
        ("2026-11-23T07:00", "2026-11-23"),  # the morning the snapshot was written for
        # Months later, the snapshot is read as just written; past 07:30 its digest is the next morning's.
        ("2027-07-14T12:00", "2027-07-15"),
        (None, None),  # as a user runs it: on the day it runs, whichever it is
    ],
)
def test_demo_runs_to_completion(tmp_path: Path, now: str | None, day: str | None) -> None:
    out = tmp_path / "demo"
    at = ["--now", now] if now else []
    result = subprocess.run(
        [sys.executable, "-m", "watcher", "demo", *at, "--out", str(out)],
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
    assert day is None or digests[0].name == f"veille-{day}.md"
    markdown = digests[0].read_text(encoding="utf-8")
    headings = ("## À lire (12)", "## Aussi", "### Hôpital et accès aux soins", "### Grèves en santé", "### Parlement")
    for heading in headings:
        assert heading in markdown
    assert "· On parle de nous ·" in markdown.split("## Aussi")[0]  # the mentions open « À lire »
    assert "Sources en panne (1)" in markdown
    # Hard negatives of the snapshot stay out of the digest.
    for noise in ("SNCF", "L'Âme sœur", "El-Fasher"):
        assert noise not in markdown.split("---")[0], noise
    # ISO-8859-15 parliamentary feed: accents survive.
    assert "Ã©" not in markdown

    # It says how to explore its database, and `watcher digest --date` gives that digest's stories again.
    database = out / "veille-demo.db"
    assert f"  export WATCHER_DATABASE_URL=sqlite:///{database}\n" in output
    [day] = re.findall(r"^  watcher digest --date (\d{4}-\d\d-\d\d)$", output, re.MULTILINE)
    assert digests[0].name == f"veille-{day}.md"
    written = french_date(date.fromisoformat(day))  # as the digest's title says it: « lundi 7 décembre 2026 »
    again = subprocess.run(
        [sys.executable, "-m", "watcher", "digest", "--date", written, "--out", str(tmp_path / "again")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "WATCHER_DATABASE_URL": f"sqlite:///{database}"},
    )
    assert again.returncode == 0, again.stderr
    rewritten = (tmp_path / "again" / digests[0].name).read_text(encoding="utf-8")
    stories = re.compile(r"^- \*\*.*?\]\((\S+)\)", re.MULTILINE)
    assert stories.findall(markdown) and sorted(stories.findall(rewritten)) == sorted(stories.findall(markdown))


def test_snapshot_is_big_enough_and_varied() -> None:
    import feedparser

    feeds = [path for path in SNAPSHOT_DIR.iterdir() if path.suffix == ".xml"]
    entries = sum(len(feedparser.parse(path.read_bytes()).entries) for path in feeds)
    assert len(feeds) >= 8 and entries >= 150


def test_the_snapshot_is_read_as_on_the_morning_it_was_written_for() -> None:
    weeks_later = SNAPSHOT_READ_AT + timedelta(days=23, hours=5, minutes=17, seconds=42)
    shift = moved_by(weeks_later)
    assert shift == timedelta(days=23, hours=5, minutes=17)
    rss = b"<item><pubDate>Sat, 21 Nov 2026 14:00:00 +0100</pubDate></item>"
    assert redated(rss, shift) == b"<item><pubDate>Mon, 14 Dec 2026 19:17:00 +0100</pubDate></item>"
    atom = b"<entry><updated>2026-11-21T08:30:00+01:00</updated><published>2026-11-21T08:00:00Z</published></entry>"
    assert redated(atom, shift) == (
        b"<entry><updated>2026-12-14T13:47:00+01:00</updated><published>2026-12-14T13:17:00+00:00</published></entry>"
    )
    senat = (SNAPSHOT_DIR / "senat-travaux.xml").read_bytes()  # ISO-8859-15: only the dates change
    moved = redated(senat, shift)
    assert moved != senat and moved.replace(b"Dec 2026", b"").count(b"\xe9") == senat.count(b"\xe9")
