"""What-if: an item that links two open stories merges them (single link), on the development set.

    python bench/story_merges.py

The service places each item in the one story of its best match (`StoryIndex.place`): when an item reaches the bar
with items of two open stories of one event, told apart until then, they stay two stories. Single link over every
pair at the bar (`bench/story_ceiling.py`) gave more recall than the service on the same evidence, which is what
this measures: the service's clustering as it is, then the same with the stories an item links merged into the one
it joins. Nothing is merged in the service; a merge there would move the absorbed story's items and decide which
alert thread carries the follow-ups, and would have to respect the splits a person made.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.relevance import load_story_cases, pairwise  # noqa: E402
from watcher.stories import StoryDoc, StoryIndex, _conflict, story_doc  # noqa: E402
from watcher.story_evidence import shipped_scorer  # noqa: E402


def linked_stories(index: StoryIndex, doc: StoryDoc) -> set[Hashable]:
    """The open stories of the window holding an item that reaches the bar with `doc`, every veto respected."""
    scorer = shipped_scorer()
    linked = set()
    for member in index._members.values():
        other = member.doc
        if abs(other.at - doc.at) > index.window or index._closed(member.story, doc.at) or _conflict(doc, other):
            continue
        if scorer.joins(index.evidence(doc, other)):
            linked.add(member.story)
    return linked


def main() -> int:
    cases = load_story_cases()
    ordered = sorted(cases, key=lambda c: (c.item.published, c.key))
    truth = {case.key: case.event for case in cases}
    saga = {case.key for case in cases if case.saga}
    index = StoryIndex()
    placed: dict[str, Hashable] = {}
    merged_into: dict[Hashable, Hashable] = {}

    def root(story: Hashable) -> Hashable:
        while story in merged_into:
            story = merged_into[story]
        return story

    merges = 0
    for case in ordered:
        doc = story_doc(case.item.title, case.item.summary, case.item.published)
        story = index.find_story(doc)
        joined = case.key if story is None else story
        for other in linked_stories(index, doc):
            if root(other) != root(joined):
                merged_into[root(other)] = root(joined)
                merges += 1
        placed[case.key] = joined
        index.add(case.key, joined, doc)
    print(f"{len(cases)} items; {merges} merges of two stories by an item that links both")
    print(f"{'stories':<32}{'events ≤ 4 days P':>18}{'R':>7}{'sagas P':>10}{'R':>7}")
    for name, stories in (
        ("the service (best match)", placed),
        ("with merges (single link)", {key: root(story) for key, story in placed.items()}),
    ):
        ep, er, _ = pairwise(stories, truth, lambda a, b: a not in saga and b not in saga)
        sp, sr, _ = pairwise(stories, truth, lambda a, b: a in saga or b in saga)
        print(f"{name:<32}{ep:>18.3f}{er:>7.3f}{sp:>10.3f}{sr:>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
