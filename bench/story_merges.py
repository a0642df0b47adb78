"""What merging stories adds: an item that links two open stories merges them (single link), on the development set.

    python bench/story_merges.py

The service places each item in the story of its best match (`StoryIndex.place`), and merges the other open stories
the item reaches the bar with (`StoryIndex.gather`; in the store, `store.merges`). This replays the development set
both ways: best match alone, as the service did before merges, and the service as it is (`assign_stories`).
"""

from __future__ import annotations

import sys
from collections.abc import Hashable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.relevance import load_story_cases, pairwise  # noqa: E402
from watcher.stories import StoryIndex, assign_stories, story_doc  # noqa: E402


def best_match_alone(docs: list[tuple[str, object]]) -> dict[Hashable, Hashable]:
    """Each item in its best match's story, nothing merged."""
    index = StoryIndex()
    stories: dict[Hashable, Hashable] = {}
    for key, doc in docs:
        story = index.find_story(doc)  # type: ignore[arg-type]
        stories[key] = key if story is None else story
        index.add(key, stories[key], doc)  # type: ignore[arg-type]
    return stories


def main() -> int:
    cases = load_story_cases()
    ordered = sorted(cases, key=lambda c: (c.item.published, c.key))
    truth = {case.key: case.event for case in cases}
    saga = {case.key for case in cases if case.saga}
    docs = [(case.key, story_doc(case.item.title, case.item.summary, case.item.published)) for case in ordered]
    alone, service = best_match_alone(docs), assign_stories(docs)  # type: ignore[arg-type]
    print(
        f"{len(cases)} items: {len(set(alone.values()))} stories by best match alone, "
        f"{len(set(service.values()))} once an item merges the stories it links"
    )
    print(f"{'stories':<32}{'events ≤ 4 days P':>18}{'R':>7}{'sagas P':>10}{'R':>7}")
    for name, stories in (("best match alone", alone), ("the service (with merges)", service)):
        ep, er, _ = pairwise(stories, truth, lambda a, b: a not in saga and b not in saga)
        sp, sr, _ = pairwise(stories, truth, lambda a, b: a in saga or b in saga)
        print(f"{name:<32}{ep:>18.3f}{er:>7.3f}{sp:>10.3f}{sr:>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
