"""The Observatoire des pertes de chances on a real database: which items, validated, corrections that win, files
and the year's counts; the CLI on SQLite at an injected now."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from store import verdicts
from store.db import make_engine, session_scope
from store.models import Item
from store.observatory import correction_for
from tests.clock import AT_NOW, NOW, frozen
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher import observatory
from watcher.cli import app
from watcher.config import Config, TopicConfig
from watcher.losses import LOSS_THEME
from watcher.observatory_files import items_csv, items_json
from watcher.pipeline import Collector

PARIS = ZoneInfo("Europe/Paris")
REUNION = {
    "title": "Saint-Denis : un patient meurt après douze heures d'attente aux urgences",
    "link": "https://presse-obs.test/saint-denis",
    "description": "Au CHU de La Réunion, un homme de 70 ans est mort sur un brancard.",
    "published": NOW - timedelta(days=40),
}
VALENCE = {
    "title": "Valence : la maternité ferme, les futures mères transférées",
    "link": "https://presse-obs.test/valence",
    "description": "Faute de pédiatres, les accouchements se feront à une heure de route.",
    "published": NOW - timedelta(days=10),
}
SHORTAGE = {
    "title": "Pénurie d'amoxicilline : des traitements interrompus partout en France",
    "link": "https://presse-obs.test/amoxicilline",
    "description": "Les pharmacies manquent d'antibiotiques pour les enfants depuis des semaines.",
    "published": NOW - timedelta(days=5),
}
ABROAD = {
    "title": "Au Royaume-Uni, un patient meurt après 40 heures d'attente aux urgences",
    "link": "https://presse-obs.test/royaume-uni",
    "description": "Le service national de santé britannique est débordé.",
    "published": NOW - timedelta(days=3),
}
ERROR = {
    "title": "Erreur médicale au CHU de Nantes : une compresse oubliée",
    "link": "https://presse-obs.test/nantes",
    "description": "La patiente a été opérée une seconde fois.",
    "published": NOW - timedelta(days=2),
}
ENTRIES = (REUNION, VALENCE, SHORTAGE, ABROAD, ERROR)
# A theme of the test's own: the collective's rules for it are written elsewhere; what is tested here is what the
# observatoire does with the items the rules put in it.
THEME = TopicConfig(label="Pertes de chances", terms={"urgences": 60, "maternité": 60, "pénurie": 60, "attente": 60})


def collect(engine: Engine, real_config: Config, server: LocalServer) -> dict[str, int]:
    server.route("/obs.xml", rss("Presse de l'observatoire", list(ENTRIES)))
    config = config_with_sources(real_config, {"name": "Presse de l'observatoire", "url": server.url("/obs.xml")})
    config = config.model_copy(update={"topics": {**config.topics, LOSS_THEME: THEME}})
    collector = Collector(engine, config, clock=frozen())  # the real pipeline stores and scores the items
    collector.sync_sources()
    asyncio.run(collector.run_cycle(["Presse de l'observatoire"]))
    with session_scope(engine) as session:
        ids = {item.url: item.id or 0 for item in session.exec(select(Item)).all()}
    return {str(entry["link"]): ids[str(entry["link"])] for entry in ENTRIES}


@pytest.fixture
def stored(engine: Engine, real_config: Config, server: LocalServer) -> tuple[Engine, dict[str, int]]:
    ids = collect(engine, real_config, server)
    with session_scope(engine) as session:
        # The error without an access cause is judged pertinent by nobody; the British hospital is judged off topic.
        verdicts.record_verdict(
            session, item_id=ids[ABROAD["link"]], topic=LOSS_THEME, verdict="hors_sujet", who="marie", now=NOW
        )
        verdicts.record_verdict(
            session, item_id=ids[VALENCE["link"]], topic=LOSS_THEME, verdict="pertinent", who="marie", now=NOW
        )
    return engine, ids


def _items(engine: Engine) -> list[observatory.ObservatoryItem]:
    with session_scope(engine) as session:
        return observatory.observatory_items(session, (NOW - timedelta(days=60)).date(), NOW.date(), PARIS)


def test_items_of_the_theme_with_place_kind_and_validation(stored: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = stored
    items = {item.link: item for item in _items(engine)}
    # In the theme by the rules, less the one judged off topic; the medical error is not in the theme.
    assert set(items) == {REUNION["link"], VALENCE["link"], SHORTAGE["link"]}
    assert items[REUNION["link"]].place.code_insee == "97411"
    assert items[VALENCE["link"]].place.code_insee == "26362"
    assert items[SHORTAGE["link"]].place.national and items[SHORTAGE["link"]].place.code_region is None
    assert "rupture_traitement" in items[SHORTAGE["link"]].kind
    assert [link for link, item in items.items() if item.validated] == [VALENCE["link"]]
    assert all(item.id == ids[link] for link, item in items.items())


def test_a_correction_wins_and_is_kept(stored: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = stored
    item_id = ids[REUNION["link"]]
    fix = observatory.plan_correction(commune="Saint-Denis", departement="93")
    with session_scope(engine) as session:
        observatory.correct(session, item_id, fix, who="marie", now=NOW)
    with session_scope(engine) as session:
        observatory.correct(
            session, item_id, observatory.plan_correction(kinds=["refus de soins"]), who="paul", now=NOW
        )
    item = next(item for item in _items(engine) if item.id == item_id)
    assert (item.place.code_insee, item.place.code_region) == ("93066", "11")  # the place kept, the kinds added
    assert item.kind == ["refus_de_soins"] and item.place_corrected and item.kind_corrected
    with session_scope(engine) as session:
        kept = correction_for(session, item_id)
        assert kept is not None and (kept.who, kept.corrected_at) == ("paul", NOW)
    with pytest.raises(observatory.ObservatoryError, match="article 999999 introuvable"), session_scope(engine) as s:
        observatory.correct(s, 999_999, fix, who="marie", now=NOW)


def test_corrections_are_checked_before_the_database() -> None:
    with pytest.raises(observatory.ObservatoryError, match="désigne 4 communes"):
        observatory.plan_correction(commune="Saint-Denis")
    with pytest.raises(observatory.ObservatoryError, match="n'est pas dans le département"):
        observatory.plan_correction(commune="35238", departement="Drôme")
    assert observatory.plan_correction(region="FR-BRE").place == (None, None, "53")
    assert observatory.plan_correction(national=True).place == (None, None, None)


def test_summary_counts_by_region_kind_and_month(stored: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = stored
    items = _items(engine)
    with session_scope(engine) as session:
        summary = observatory.summary(session, NOW.year, PARIS)
    in_year = [item for item in items if item.published.year == NOW.year]
    assert summary.total == len(in_year) and summary.validated == 1 and summary.national == 1
    assert summary.by_region == {"04": 1, "84": 1}
    assert summary.by_departement == {"26": 1, "974": 1}
    assert sum(summary.by_month.values()) == summary.total and len(summary.by_month) == 12
    for kind, count in summary.by_kind.items():
        assert count == sum(kind in item.kind for item in in_year)
    month = VALENCE["published"].astimezone(PARIS).month
    assert summary.by_month_region[month].get("84") == 1
    with session_scope(engine) as session:
        assert observatory.summary(session, NOW.year, PARIS, validated_only=True).total == 1


def test_files_hold_one_row_per_item(stored: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = stored
    items = _items(engine)
    text = items_csv(items)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert [row["link"] for row in rows] == [item.link for item in items]
    valence = next(row for row in rows if row["link"] == VALENCE["link"])
    assert (valence["commune"], valence["code_insee"], valence["departement"], valence["validated"]) == (
        "Valence",
        "26362",
        "Drôme",
        "oui",
    )
    records = json.loads(items_json(items))
    assert {"date", "outlet", "title", "link", "place", "kind", "story", "validated"} <= set(records[0])
    assert set(records[0]["place"]) >= {"commune", "departement", "region", "code_insee"}


def test_the_cli_corrects_and_exports(
    real_config: Config, server: LocalServer, migrated_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{migrated_sqlite}")
    ids = collect(engine, real_config, server)
    engine.dispose()
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{migrated_sqlite}")
    runner = CliRunner()
    item = str(ids[REUNION["link"]])
    result = runner.invoke(app, [*AT_NOW, "observatoire", "correct", item, "--commune", "97411"])
    assert result.exit_code == 0, result.output
    assert f"Article {item} corrigé (lieu : Saint-Denis, La Réunion, La Réunion)." in result.output
    out = tmp_path / "observatoire.xlsx"
    first, last = (NOW - timedelta(days=60)).date().isoformat(), NOW.date().isoformat()
    result = runner.invoke(app, ["observatoire", "export", "--from", first, "--to", last, "--format", "xlsx", "--out",
                                 str(out)])  # fmt: skip
    assert result.exit_code == 0 and "→" in result.output, result.output
    sheet = load_workbook(out).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    reunion = next(row for row in rows if row["link"] == REUNION["link"])
    assert (reunion["code_insee"], reunion["corrected"]) == ("97411", "place")
    result = runner.invoke(app, ["observatoire", "export", "--from", first, "--to", last, "--format", "json"])
    assert {record["link"] for record in json.loads(result.stdout)} == {r["link"] for r in rows}
    result = runner.invoke(app, ["observatoire", "summary", "--year", str(NOW.year)])
    assert result.exit_code == 0, result.output
    assert "Par région et par mois" in result.output and "La Réunion" in result.output
