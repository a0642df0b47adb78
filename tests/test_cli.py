"""The command-line contract, in French: collect, preview, sources, items, digest, db."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from store.db import MIGRATIONS_DIR
from tests.clock import AT_NOW, NOW
from tests.conftest import REPO_ROOT
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.cli import app

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config with two local sources, a database and an output folder under tmp_path."""
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [
        {"name": "Presse locale", "url": server.url("/local.xml"), "topics": ["hopital"], "interval": "15m"},
        {"name": "Presse cassée", "url": server.url("/cassee.xml")},
    ]
    data["digest"]["output_dir"] = str(tmp_path / "digests")
    config = tmp_path / "sources.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'veille.db'}")
    server.route(
        "/local.xml",
        rss(
            "Presse locale",
            [
                {
                    "title": "Laval : les urgences fermées la nuit faute de médecins",
                    "link": "https://presse-locale.test/laval-urgences",
                    "description": "Le service des urgences de l'hôpital de Laval fermera la nuit, faute "
                    "de médecins urgentistes, a annoncé l'ARS.",
                    "published": NOW - timedelta(hours=2),
                },
                {
                    "title": "Fête de la châtaigne à Mayenne",
                    "link": "https://presse-locale.test/chataigne",
                    "published": NOW - timedelta(hours=1),
                },
            ],
        ),
    )
    server.route("/cassee.xml", b"", status=200)
    return tmp_path


def test_collect_twice_reports_zero_new_the_second_time(workspace: Path) -> None:
    first = runner.invoke(app, [*AT_NOW, "collect"])
    assert first.exit_code == 0, first.output
    assert "Presse locale : 2 nouveaux, 0 mis à jour, 0 inchangé" in first.output
    assert "Presse cassée : erreur — réponse vide" in first.output
    assert "Cycle terminé : 2 sources, 2 nouveaux articles" in first.output

    second = runner.invoke(app, [*AT_NOW, "collect"])
    assert second.exit_code == 0, second.output
    assert "0 nouvel article" in second.output
    assert "Presse locale : inchangé" in second.output


def test_collect_one_source_and_unknown_source(workspace: Path, server: LocalServer) -> None:
    result = runner.invoke(app, [*AT_NOW, "collect", "--source", "Presse locale"])
    assert result.exit_code == 0
    assert "Presse cassée" not in result.output and server.hits["/cassee.xml"] == 0
    unknown = runner.invoke(app, [*AT_NOW, "collect", "--source", "Le Canard"])
    assert unknown.exit_code == 1
    assert "source inconnue « Le Canard »" in unknown.output


def test_items_and_digest_after_collect(workspace: Path) -> None:
    runner.invoke(app, [*AT_NOW, "collect"])
    listing = runner.invoke(app, ["items", "--topic", "hopital"])
    assert listing.exit_code == 0, listing.output
    assert "Laval" in listing.output and "châtaigne" not in listing.output
    assert runner.invoke(app, ["items", "--topic", "inconnu"]).exit_code == 1

    # By default the digest is today's: at 07:00 in Paris, that of 23 November covers 22 Nov 07:30 → 23 Nov 07:30.
    day = "2026-11-23"
    out = workspace / "out"
    digest = runner.invoke(app, [*AT_NOW, "digest", "--out", str(out)])
    assert digest.exit_code == 0, digest.output
    markdown = (out / f"veille-{day}.md").read_text(encoding="utf-8")
    assert "## À lire (1)" in markdown and "· Hôpital et accès aux soins ·" in markdown
    assert "Laval : les urgences fermées la nuit faute de médecins" in markdown
    assert "Presse cassée (en erreur) — 1 échec de suite (jamais collectée avec succès) : réponse vide" in markdown
    html = (out / f"veille-{day}.html").read_text(encoding="utf-8")
    assert "<h2" in html and "Laval" in html and "http" not in html.split("<body")[0]
    bad_date = runner.invoke(app, ["digest", "--date", "31/11/2026"])
    assert bad_date.exit_code == 1
    assert bad_date.output == (
        "Erreur : --date : date invalide « 31/11/2026 » (formats acceptés : 2026-11-23, 23/11/2026 ou 23 novembre "
        "2026)\n"
    )


def test_items_since_counts_back_from_now(workspace: Path) -> None:
    assert runner.invoke(app, [*AT_NOW, "collect"]).exit_code == 0  # the two articles are collected at NOW
    an_hour_on = runner.invoke(app, ["--now", (NOW + timedelta(hours=1)).isoformat(), "items", "--since", "24h"])
    assert an_hour_on.exit_code == 0, an_hour_on.output
    assert "2 articles" in an_hour_on.output and "Laval" in an_hour_on.output
    two_days_on = runner.invoke(app, ["--now", (NOW + timedelta(days=2)).isoformat(), "items", "--since", "24h"])
    assert two_days_on.exit_code == 0, two_days_on.output
    assert "0 articles" in two_days_on.output and "Laval" not in two_days_on.output


def test_now_is_read_in_the_digest_zone_and_names_the_day(workspace: Path) -> None:
    out = workspace / "out"
    # 00:30 on New Year's Day in Paris is still 31 December in UTC: today's digest is that of 1 January.
    paris = runner.invoke(app, ["--now", "2027-01-01T00:30", "digest", "--out", str(out)])
    assert paris.exit_code == 0, paris.output
    # With its own offset, an instant is taken as written: 22:30 UTC is 23:30 on 31 December in Paris.
    utc = runner.invoke(app, ["--now", "2026-12-31T22:30Z", "digest", "--out", str(out)])
    assert utc.exit_code == 0, utc.output
    assert sorted(path.name for path in out.glob("*.md")) == ["veille-2026-12-31.md", "veille-2027-01-01.md"]


def test_now_option_errors_are_french(workspace: Path) -> None:
    bad = runner.invoke(app, ["--now", "23/11/2026 7h", "collect"])
    assert bad.exit_code == 1
    assert "--now : instant invalide « 23/11/2026 7h » (format attendu : AAAA-MM-JJTHH:MM)" in bad.output
    assert not (workspace / "veille.db").exists()  # refused before any work
    service = runner.invoke(app, [*AT_NOW, "run"])
    assert service.exit_code == 1 and "--now ne s'applique pas à « watcher run »" in service.output


def test_preview_json_contract(workspace: Path, tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    # The second item has no date, so it is dated « now »: previewed at NOW, it is 20 hours after the first,
    # within the 72 h story window whatever the day the test runs.
    written = (NOW - timedelta(hours=20)).astimezone(timezone(timedelta(hours=1)))
    published = written.isoformat()  # with its +01:00 offset, which the output turns into UTC
    lines = [
        {"url": "https://a.test/1", "title": "Grève des internes : les hôpitaux en tension", "summary": "Les "
         "internes en médecine appellent à la grève dans les hôpitaux publics.", "source": "A",
         "published": published},
        {"url": "https://b.test/2", "title": "Les internes en grève : hôpitaux publics en tension", "summary": "Les "
         "internes en médecine appellent à la grève dans les hôpitaux publics.", "source": "B"},
        {"url": "https://c.test/3", "title": "L'Ame sœur, un film tendre", "summary": "Une comédie romantique.",
         "source": "C"},
    ]  # fmt: skip
    items.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    result = runner.invoke(app, [*AT_NOW, "preview", "--json", str(items)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    required = {"url", "title", "source", "published", "topics", "score", "decision", "why", "mentions",
                "member_mentions", "story"}  # fmt: skip
    assert all(required <= set(row) for row in rows)
    assert rows[0]["story"] == rows[1]["story"] != rows[2]["story"]
    assert "greve" in rows[0]["topics"] and rows[0]["decision"] in ("alert", "digest")
    assert rows[2]["topics"] == [] and rows[2]["decision"] == "drop"
    assert rows[0]["published"].startswith(written.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))

    table = runner.invoke(app, [*AT_NOW, "preview", str(items)])
    assert table.exit_code == 0 and "Aperçu : 3 articles" in table.output


def test_preview_bad_inputs_are_french_errors(workspace: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["preview", str(tmp_path / "absent.xml")])
    assert missing.exit_code == 1 and "fichier introuvable" in missing.output
    broken = tmp_path / "items.jsonl"
    broken.write_text('{"url": "https://a.test", "title": "ok"}\n{pas du json}\n', encoding="utf-8")
    result = runner.invoke(app, ["preview", str(broken)])
    assert result.exit_code == 1 and "items.jsonl, ligne 2 : JSON invalide" in result.output
    html = tmp_path / "page.xml"
    html.write_text("<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>", encoding="utf-8")
    result = runner.invoke(app, ["preview", str(html)])
    assert result.exit_code == 1 and "page HTML « Just a moment... » reçue au lieu d'un flux" in result.output


def test_sources_commands(workspace: Path, tmp_path: Path) -> None:
    check = runner.invoke(app, ["sources", "check"])
    assert check.exit_code == 0 and "Configuration valide : 2 sources" in check.output
    listing = runner.invoke(app, ["sources", "list"])
    assert listing.exit_code == 0 and "2 sources" in listing.output and "15 min" in listing.output
    db = runner.invoke(app, ["db", "upgrade"])
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert db.exit_code == 0 and f"Base à jour (révision {head})" in db.output


def test_broken_config_exits_with_french_error_and_line(tmp_path: Path) -> None:
    text = (REPO_ROOT / "sources.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    first_interval = f"interval: {data['sources'][0]['interval']}"
    broken = tmp_path / "sources.yaml"
    broken.write_text(text.replace(first_interval, "interval: 5 minutes", 1), encoding="utf-8")
    line = next(n for n, content in enumerate(broken.read_text().splitlines(), 1) if "5 minutes" in content)
    result = runner.invoke(app, ["--config", str(broken), "sources", "check"])
    assert result.exit_code == 2
    assert result.output.startswith(
        f"Erreur : {broken}, ligne {line}, colonne 15, sources[0].interval : durée invalide « 5 minutes »"
    )


def test_the_coordinator_s_commands_start_without_the_collection_stack() -> None:
    # `watcher tribunes`, `mentions`, `items`… load the command line only: numpy, datasketch and trafilatura
    # (the collection pipeline and the preview) cost a fifth of every such command's start before they were lazy.
    code = "import sys, watcher.cli; print(sorted({'numpy', 'datasketch', 'trafilatura'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_preview_names_each_input_that_is_not_a_feed_and_goes_on(workspace: Path, tmp_path: Path) -> None:
    # Before: the first HTML page stopped the whole run, and the inputs after it were never read.
    html = tmp_path / "page.xml"
    html.write_text("<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>", encoding="utf-8")
    feed = tmp_path / "flux.xml"
    feed.write_bytes(
        rss("Flux", [{"title": f"Urgences de Laval, jour {n}", "link": f"https://f.test/{n}",
                      "published": datetime(2026, 12, 5, 6, n, tzinfo=UTC)} for n in range(2)])
    )  # fmt: skip
    inputs = [str(html), str(tmp_path / "absent.xml"), str(tmp_path), str(feed)]
    result = runner.invoke(app, ["preview", "--json", *inputs])
    assert result.exit_code == 1
    assert [json.loads(line)["url"] for line in result.stdout.splitlines()] == ["https://f.test/0", "https://f.test/1"]
    assert result.stderr.splitlines() == [
        f"Erreur : page HTML « Just a moment... » reçue au lieu d'un flux pour {html}",
        f"Erreur : {tmp_path / 'absent.xml'} : fichier introuvable",
        f"Erreur : {tmp_path} : c'est un dossier ; indiquez ses fichiers (par exemple {tmp_path / '*.xml'})",
        "Erreur : 3 entrées illisibles sur 4",
    ]
