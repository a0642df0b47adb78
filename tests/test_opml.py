"""Sources as OPML: export, import into sources.yaml (comments kept), round trip, French errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.clock import AT_NOW, NOW
from tests.conftest import REPO_ROOT
from watcher.cli import app
from watcher.config import load_config
from watcher.opml import OpmlError, export_opml, import_opml, read_opml

runner = CliRunner()
REAL = REPO_ROOT / "sources.yaml"

FEEDLY = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Abonnements de l'association</title></head>
  <body>
    <outline text="institution" title="institution">
      <outline type="rss" text="Haute Autorit\xc3\xa9 de sant\xc3\xa9" title="HAS - actualit\xc3\xa9s"
               xmlUrl="https://www.has-sante.example/rss/actualites.xml" htmlUrl="https://www.has-sante.example/"/>
    </outline>
    <outline text="Divers">
      <outline type="rss" text="Blog d'une patiente" xmlUrl="https://blog-patiente.example/feed"/>
      <outline type="rss" text="Le Monde sant\xc3\xa9 (doublon)" xmlUrl="https://www.lemonde.fr/sante/rss_full.xml"/>
    </outline>
  </body>
</opml>
"""


def _empty_config(tmp_path: Path) -> Path:
    """The real file with an empty source list: same themes and watchlist, no sources."""
    text = REAL.read_text(encoding="utf-8")
    start = text.index("\nsources:\n") + 1
    end = re.search(r"^\S", text[start + len("sources:\n") :], re.MULTILINE)
    assert end is not None
    empty = text[:start] + "sources: []\n\n" + text[start + len("sources:\n") + end.start() :]
    path = tmp_path / "sources.yaml"
    path.write_text(empty, encoding="utf-8")
    assert load_config(path).sources == []
    return path


def test_opml_round_trip_gives_the_same_sources(tmp_path: Path) -> None:
    """Must show: export, then import into an empty config, gives the same sources."""
    original = load_config(REAL)
    exported = tmp_path / "veille.opml"
    exported.write_bytes(export_opml(original, now=NOW))
    config_path = _empty_config(tmp_path)

    report = import_opml(config_path, exported, day=NOW.date())

    assert report.skipped == [] and report.notes == []
    assert len(report.added) == len(original.sources)
    # OPML groups feeds in one folder per category: sources.yaml groups them by purpose (the outlets that cited the
    # collective mix press feeds and Google News searches), so only the order across categories may change.
    imported = load_config(config_path).sources
    assert sorted(imported, key=lambda s: s.name) == sorted(original.sources, key=lambda s: s.name)
    for category in {source.category for source in original.sources}:
        in_file = [source.name for source in original.sources if source.category == category]
        assert [source.name for source in imported if source.category == category] == in_file
    # Imported twice: nothing new.
    again = import_opml(config_path, exported, day=NOW.date())
    assert again.added == [] and len(again.skipped) == len(original.sources)


def test_export_follows_the_feed_reader_convention() -> None:
    config = load_config(REAL)
    data = export_opml(config, now=NOW)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    found = read_opml(data)
    rss = [entry.source for entry in found if entry.source.kind == "rss"]
    assert len(found) == len(config.sources)
    assert b'type="rss"' in data and b"xmlUrl=" in data
    assert rss[0].url == next(s.url for s in config.sources if s.kind == "rss")


def test_import_from_another_reader_keeps_the_comments_of_sources_yaml(tmp_path: Path) -> None:
    config_path = tmp_path / "sources.yaml"
    original = REAL.read_text(encoding="utf-8")
    config_path.write_text(original, encoding="utf-8")
    opml_path = tmp_path / "feedly.opml"
    opml_path.write_bytes(FEEDLY)

    report = import_opml(config_path, opml_path, day=NOW.date())

    assert [(s.name, s.category.value) for s in report.added] == [
        ("HAS - actualités", "institution"),
        ("Blog d'une patiente", "presse"),
    ]
    assert report.skipped == [("Le Monde santé (doublon)", "adresse déjà suivie")]
    updated = config_path.read_text(encoding="utf-8")
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert all(line in updated.splitlines() for line in comments)
    assert "# --- importé de feedly.opml le 2026-11-23 " in updated and "# --- fin de l'import ---" in updated
    config = load_config(config_path)
    assert [s.name for s in config.sources[-2:]] == ["HAS - actualités", "Blog d'une patiente"]
    assert len(config.sources) == len(load_config(REAL).sources) + 2
    assert config.topics == load_config(REAL).topics


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<opml><body><outline", "feed.opml, ligne 1 : OPML illisible"),
        (b"<rss version='2.0'/>", "feed.opml : ce n'est pas un fichier OPML"),
        (
            b"<opml version='2.0'><body>\n<outline text='FTP' xmlUrl='ftp://x.example/feed'/></body></opml>",
            "feed.opml, ligne 2, source « FTP », url : adresse invalide « ftp://x.example/feed »",
        ),
    ],
)
def test_bad_opml_is_reported_in_french(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError) as caught:
        read_opml(data, "feed.opml")
    assert str(caught.value).startswith(message)


def test_opml_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_CONFIG", str(_empty_config(tmp_path)))
    exported = tmp_path / "export.opml"
    result = runner.invoke(app, ["--config", str(REAL), "sources", "export-opml", "--out", str(exported)])
    assert result.exit_code == 0, result.output
    assert f"{len(load_config(REAL).sources)} sources → {exported}" in result.output

    result = runner.invoke(app, ["sources", "import-opml", str(exported)])
    assert result.exit_code == 0, result.output
    assert "+ Le Monde — Santé (https://www.lemonde.fr/sante/rss_full.xml)" in result.output
    assert f"{len(load_config(REAL).sources)} sources ajoutées à " in result.output

    missing = runner.invoke(app, ["sources", "import-opml", str(tmp_path / "absent.opml")])
    assert missing.exit_code == 1
    assert "absent.opml : lecture impossible" in missing.output


def test_the_opml_commands_date_their_files_with_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`watcher --now` dates the export (dateCreated) and the import's mark in sources.yaml, not the wall clock."""
    config_path = _empty_config(tmp_path)
    monkeypatch.setenv("WATCHER_CONFIG", str(config_path))
    exported = tmp_path / "export.opml"
    result = runner.invoke(app, [*AT_NOW, "--config", str(REAL), "sources", "export-opml", "--out", str(exported)])
    assert result.exit_code == 0, result.output
    assert b"<dateCreated>Mon, 23 Nov 2026 06:00:00 +0000</dateCreated>" in exported.read_bytes()

    # Half past midnight in Paris on 1 January is still 31 December in UTC: the mark names Paris's day.
    result = runner.invoke(app, ["--now", "2027-01-01T00:30", "sources", "import-opml", str(exported)])
    assert result.exit_code == 0, result.output
    assert "# --- importé de export.opml le 2027-01-01 (watcher sources import-opml) ---" in config_path.read_text(
        encoding="utf-8"
    )
