"""`watcher preview --json` gives every row its `place` and `loss_kind` (issue 19): homonymous towns, France as a
whole, a hospital abroad, a medical error without an access cause (bench/hard-cases/places.jsonl, self-written)."""

from __future__ import annotations

from tests.conftest import REPO_ROOT
from tests.previewing import preview_rows
from watcher.losses import LOSS_KINDS

PLACES = REPO_ROOT / "bench" / "hard-cases" / "places.jsonl"


def _rows() -> dict[str, dict]:
    return preview_rows(PLACES)


def _codes(row: dict) -> tuple[str | None, str | None, str | None, bool]:
    place = row["place"]
    return place["code_insee"], place["code_departement"], place["code_region"], place["national"]


def test_every_row_has_a_place_and_kinds() -> None:
    rows = _rows()
    assert len(rows) == 8
    for row in rows.values():
        assert {"commune", "departement", "region", "code_insee"} <= set(row["place"])
        assert set(row["loss_kind"]) <= set(LOSS_KINDS)


def test_homonymous_towns_are_told_apart_by_their_context() -> None:
    rows = _rows()
    assert _codes(rows["saint-denis-reunion"]) == ("97411", "974", "04", False)
    assert _codes(rows["saint-denis-93"]) == ("93066", "93", "11", False)
    assert _codes(rows["saint-denis-sans-contexte"]) == (None, None, None, False)  # nothing certain
    # Where is uncertain, what is not: six months for an MRI, a cancer diagnosed too late.
    assert "pertes_de_chance" in rows["saint-denis-sans-contexte"]["topics"]
    assert rows["saint-denis-sans-contexte"]["loss_kind"] == ["retard_diagnostic"]
    for key in ("saint-denis-reunion", "saint-denis-93", "valence-drome", "valence-tarn-et-garonne", "national"):
        assert rows[key]["loss_kind"], key  # every case of the theme has its kind
    assert _codes(rows["valence-drome"]) == ("26362", "26", "84", False)
    assert _codes(rows["valence-tarn-et-garonne"]) == ("82186", "82", "76", False)
    assert rows["valence-drome"]["place"]["commune"] == "Valence"
    assert rows["valence-drome"]["place"]["departement"] == "Drôme"
    assert rows["valence-drome"]["place"]["region"] == "Auvergne-Rhône-Alpes"


def test_national_abroad_and_a_medical_error() -> None:
    rows = _rows()
    assert _codes(rows["national"]) == (None, None, None, True)
    assert _codes(rows["etranger"]) == (None, None, None, False)
    assert rows["etranger"]["loss_kind"] == []  # a hospital abroad is not of the theme
    # The place is a fact of the text; the medical error has no access cause, hence no kind of loss.
    assert _codes(rows["erreur-medicale"]) == ("44109", "44", "52", False)
    assert rows["erreur-medicale"]["loss_kind"] == []
