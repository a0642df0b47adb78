"""`watcher preview --json` on the hard cases of issue #3 (bench/hard-cases/hard-cases.jsonl, written by the team)."""

from __future__ import annotations

from tests.conftest import REPO_ROOT
from tests.previewing import preview_rows

HARD_CASES = REPO_ROOT / "bench" / "hard-cases" / "hard-cases.jsonl"


def _rows() -> dict[str, dict[str, object]]:
    return preview_rows(HARD_CASES)


def test_hard_cases() -> None:
    rows = _rows()
    assert rows["sncf"]["topics"] == [] and rows["sncf"]["decision"] == "drop"  # a strike in another sector
    assert "hopital" not in rows["quebec"]["topics"]  # a hospital abroad, « comme en France » in the lead
    assert any("à l'étranger" in reason for reason in rows["quebec"]["why"])  # type: ignore[union-attr]
    assert rows["ame-soeur"]["topics"] == [] and rows["ame-soeur"]["decision"] == "drop"
    assert rows["action-des-patients"]["mentions"] == [] and rows["action-des-patients"]["decision"] == "drop"
    assert rows["laval"]["story"] == rows["laval-retitre"]["story"]  # a re-titled article joins its story
    assert rows["vire"]["story"] != rows["laval"]["story"]  # another town's closure stays apart
    # an emergency department closed at night: hospital news, and a loss of chance for the observatoire
    assert rows["laval"]["decision"] == "alert" and rows["laval"]["topics"] == ["hopital", "pertes_de_chance"]
    assert rows["collectif"]["mentions"] == ["Action Patients"] and rows["collectif"]["member_mentions"] == ["Renaloo"]
    # Stefanini co-wrote the AME report, and speaks of expulsions too: his name alone is not the AME.
    assert rows["stefanini-expulsions"]["topics"] == [] and rows["stefanini-expulsions"]["decision"] == "drop"
    assert "ame" in rows["stefanini-ame"]["topics"]  # type: ignore[operator]
    # « urgence sanitaire » is a state of public health, not an emergency department
    assert rows["urgence-sanitaire"]["topics"] == [] and rows["urgence-sanitaire"]["decision"] == "drop"


def test_preview_is_deterministic() -> None:
    assert _rows() == _rows()
