"""The observatoire's map and chart, drawn from counts alone: files, SVG ids and titles, PNG size, stable bytes."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.clock import AT_NOW
from tests.conftest import REPO_ROOT
from watcher.cli import app
from watcher.observatory_pictures import DPI, OUTLINES_DIR, outlines, write_pictures
from watcher.place import gazetteer

SVG = "{http://www.w3.org/2000/svg}"
BY_REGION = {"11": 5, "52": 7, "53": 2, "04": 3, "94": 1}
BY_DEPARTEMENT = {"53": 6, "44": 1, "2A": 2, "974": 3}
BY_MONTH_KIND = {11: {"fermeture_transfert": 4, "sans_medecin": 2}, 10: {"deprogrammation": 3}}
BY_MONTH = {10: 3, 11: 5}


def _titles(svg: Path) -> dict[str, str]:
    """Each group's id and its <title>, from the SVG parsed as XML."""
    root = ET.parse(svg).getroot()
    return {group.get("id", ""): group.findtext(f"{SVG}title", "") for group in root.iter(f"{SVG}g")}


def _png_size(png: Path) -> tuple[int, int]:
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def _pictures(out: Path, level: str = "region") -> list[Path]:
    return write_pictures(
        out,
        year=2026,
        by_area=BY_REGION if level == "region" else BY_DEPARTEMENT,
        by_month_kind=BY_MONTH_KIND,
        by_month=BY_MONTH,
        level=level,
        notes=["8 articles"],
    )


def test_the_map_by_region_names_every_region_with_its_count(tmp_path: Path) -> None:
    files = _pictures(tmp_path)
    assert [path.name for path in files] == ["map.svg", "map.png", "chart.svg", "chart.png"]
    titles = _titles(tmp_path / "map.svg")
    regions = {gid: text for gid, text in titles.items() if gid.startswith("region-")}
    assert len(regions) == 18
    assert regions["region-11"] == "Île-de-France : 5 articles"
    assert regions["region-94"] == "Corse : 1 article"
    assert regions["region-04"] == "La Réunion : 3 articles"
    assert regions["region-84"] == "Auvergne-Rhône-Alpes : 0 article"
    assert _png_size(tmp_path / "map.png") == (round(8.4 * DPI), round(8.0 * DPI))


def test_the_map_by_departement(tmp_path: Path) -> None:
    _pictures(tmp_path, level="departement")
    titles = {gid: text for gid, text in _titles(tmp_path / "map.svg").items() if gid.startswith("departement-")}
    assert len(titles) == 101
    assert titles["departement-53"] == "Mayenne : 6 articles"
    assert titles["departement-2A"] == "Corse-du-Sud : 2 articles"
    assert titles["departement-974"] == "La Réunion : 3 articles"
    assert titles["departement-01"] == "Ain : 0 article"  # « 01 » is Guadeloupe only among the régions


def test_the_chart_names_each_bar(tmp_path: Path) -> None:
    _pictures(tmp_path)
    titles = _titles(tmp_path / "chart.svg")
    assert titles["mois-11-fermeture_transfert"] == "novembre : 4 articles « fermeture, transfert »"
    assert titles["mois-10-deprogrammation"] == "octobre : 3 articles « déprogrammation »"
    assert titles["mois-01-sans_medecin"] == "janvier : 0 article « sans médecin »"
    assert len([gid for gid in titles if gid.startswith("mois-")]) == 12 * 7
    assert _png_size(tmp_path / "chart.png") == (round(9.6 * DPI), round(5.4 * DPI))


def test_the_same_counts_give_the_same_bytes(tmp_path: Path) -> None:
    first, second = _pictures(tmp_path / "a"), _pictures(tmp_path / "b")
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]
    other = write_pictures(tmp_path / "c", year=2026, by_area={"11": 1}, by_month_kind={}, by_month={})
    assert other[0].read_bytes() != first[0].read_bytes()


def test_no_counts_draw_an_empty_map(tmp_path: Path) -> None:
    files = write_pictures(tmp_path, year=2025, by_area={}, by_month_kind={}, by_month={})
    assert all(path.stat().st_size > 0 for path in files)
    assert _titles(tmp_path / "map.svg")["region-53"] == "Bretagne : 0 article"


def test_the_outlines_have_the_gazetteers_codes_and_their_licence() -> None:
    places = gazetteer()
    assert {outline.code for outline in outlines("region")} == set(places.regions)
    assert {outline.code for outline in outlines("departement")} == set(places.departements)
    licence = (OUTLINES_DIR / "LICENCE.md").read_text(encoding="utf-8")
    assert "Licence Ouverte" in licence and "tools/france_outlines.py" in licence
    size = sum(path.stat().st_size for path in OUTLINES_DIR.glob("*.geojson"))
    assert size < 1_000_000


@pytest.fixture
def empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WATCHER_CONFIG", str(REPO_ROOT / "sources.yaml"))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'veille.db'}")
    return tmp_path


def test_the_command(empty_database: Path) -> None:
    runner = CliRunner()
    out = empty_database / "images"
    result = runner.invoke(app, [*AT_NOW, "observatoire", "carte", "--year", "2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "Observatoire 2026 : 0 article, 0 sur la France entière, 0 sans lieu connu."
    )
    assert sorted(path.name for path in out.iterdir()) == ["chart.png", "chart.svg", "map.png", "map.svg"]
    result = runner.invoke(app, ["observatoire", "carte", "--year", "2026", "--out", str(out / "map.png")])
    assert result.exit_code == 1 and f"--out : « {out / 'map.png'} » est un fichier, pas un dossier" in result.stderr
    result = runner.invoke(app, ["observatoire", "carte", "--year", "2026", "--out", str(out / "map.png" / "x")])
    assert result.exit_code == 1
    assert f"« {out / 'map.png' / 'x'} » : un élément du chemin n'est pas un dossier" in result.stderr
