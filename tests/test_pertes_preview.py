"""`watcher preview --json` on the hard cases of the pertes_de_chance theme (issue 19), written by the team:
bench/hard-cases/pertes-de-chance.jsonl. Each row carries its `loss_kind`; `[]` outside the theme."""

from __future__ import annotations

from tests.conftest import REPO_ROOT
from tests.previewing import preview_rows

HARD_CASES = REPO_ROOT / "bench" / "hard-cases" / "pertes-de-chance.jsonl"


def _rows() -> dict[str, dict[str, object]]:
    return preview_rows(HARD_CASES)


def test_the_losses_in_france_are_of_the_theme_with_their_kinds() -> None:
    rows = _rows()
    expected = {
        "pdc-valence-drome": ["fermeture_transfert"],
        "pdc-saint-denis-reunion": ["retard_diagnostic", "deces_complication"],
        "pdc-national-amoxicilline": ["rupture_traitement"],
        "pdc-selection-reanimation": ["refus_de_soins"],  # a triage of patients
        "pdc-maternite-ferme": ["fermeture_transfert"],  # a place of care « ferme ses portes »
    }
    for key, kinds in expected.items():
        assert "pertes_de_chance" in rows[key]["topics"], key  # type: ignore[operator]
        assert rows[key]["loss_kind"] == kinds, key
    assert "sans_medecin" in rows["pdc-saint-denis-93"]["loss_kind"]  # type: ignore[operator]


def test_the_lookalikes_are_not_of_the_theme_and_have_no_kind() -> None:
    rows = _rows()
    # a hospital abroad, a medical error without an access cause, a fait divers, the hospital crisis in general,
    # a selection of records and the sorting of waste (« la sélection » and « tri » without patients), a bookshop
    # that « ferme ses portes »
    lookalikes = ("pdc-abroad-charleroi", "pdc-erreur-rodez", "pdc-fait-divers", "pdc-crise-generale")
    for key in (*lookalikes, "pdc-selection-disques", "pdc-tri-dechets", "pdc-librairie-ferme"):
        assert "pertes_de_chance" not in rows[key]["topics"], key  # type: ignore[operator]
        assert rows[key]["loss_kind"] == [], key
    assert any("à l'étranger" in reason for reason in rows["pdc-abroad-charleroi"]["why"])  # type: ignore[union-attr]


def test_every_row_has_a_loss_kind_list() -> None:
    assert all(isinstance(row["loss_kind"], list) for row in _rows().values())
