"""`watcher preview` on the pairs of issue 17, written by the team (tests/fixtures/stories/issue17-pairs.jsonl).

Five kinds of pair a reader joins at once, each told in other words by another outlet: a director's departure and
the search for a successor; a minister's appointment and her portrait within the hour; a cyberattack and the
emergency department redirected the next day; a strike call and the strike starting; an announcement and its
analysis that night. And two stages of one bill, two days apart, that stay two stories.

Then an announcement and its reactions that share no name in their titles and summaries, but whose articles quote
the same names and figures (tests/fixtures/stories/openings.jsonl, with their texts as a `full_text` source reads
them), beside another event whose article quotes the same minister.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.previewing import preview_rows

PAIRS = REPO_ROOT / "tests" / "fixtures" / "stories" / "issue17-pairs.jsonl"
OPENINGS = REPO_ROOT / "tests" / "fixtures" / "stories" / "openings.jsonl"
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


def test_an_announcement_and_its_reaction_join_through_what_their_articles_quote(tmp_path: Path) -> None:
    rows = preview_rows(OPENINGS)
    stories = {name: row["story"] for name, row in rows.items()}
    assert stories["dialyse-annonce"] == stories["dialyse-reaction"]
    assert stories["nantes-urgences"] != stories["dialyse-annonce"]  # the same minister quoted: another event
    # The reason names what the articles quote, which their titles and summaries do not show.
    (join,) = [reason for reason in rows["dialyse-reaction"]["why"] if reason.startswith("récit")]
    assert "cités dans les deux articles : 130, 48, auvergne-rhone-alpes, clermont-ferrand, neuder" in join

    # Their titles and summaries alone share no name: without the articles' texts, two stories.
    without_texts = tmp_path / "sans-texte.jsonl"
    rows = [json.loads(line) for line in OPENINGS.read_text(encoding="utf-8").splitlines()]
    without_texts.write_text("".join(json.dumps({**row, "content": None}) + "\n" for row in rows), encoding="utf-8")
    stories = {name: row["story"] for name, row in preview_rows(without_texts).items()}
    assert stories["dialyse-annonce"] != stories["dialyse-reaction"]
