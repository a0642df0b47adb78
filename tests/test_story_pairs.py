"""`watcher preview` on the pairs of issue 17, written by the team (tests/fixtures/stories/issue17-pairs.jsonl).

Five kinds of pair a reader joins at once, each told in other words by another outlet: a director's departure and
the search for a successor; a minister's appointment and her portrait within the hour; a cyberattack and the
emergency department redirected the next day; a strike call and the strike starting; an announcement and its
analysis that night. And two stages of one bill, two days apart, that stay two stories.
"""

from __future__ import annotations

from tests.conftest import REPO_ROOT
from tests.previewing import preview_rows

PAIRS = REPO_ROOT / "tests" / "fixtures" / "stories" / "issue17-pairs.jsonl"
SAME_EVENT = (
    ("rennes-depart", "rennes-successeur"),
    ("ministre-nommee", "ministre-portrait"),
    ("dax-cyber", "dax-urgences"),
    ("kines-appel", "kines-greve"),
    ("plan-annonce", "plan-analyse"),
)


def _stories() -> dict[str, str]:
    return {name: str(row["story"]) for name, row in preview_rows(PAIRS).items()}


def test_five_kinds_of_follow_up_join_their_event() -> None:
    stories = _stories()
    assert [stories[left] == stories[right] for left, right in SAME_EVENT] == [True] * len(SAME_EVENT)
    assert len({stories[left] for left, _ in SAME_EVENT}) == len(SAME_EVENT)  # five events, not one


def test_two_stages_of_one_bill_stay_apart() -> None:
    stories = _stories()
    assert stories["loi-49-3"] != stories["loi-adoptee"]
