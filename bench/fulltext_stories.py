"""What an article's first paragraphs would add to the story decisions (issue 17, point 3).

    pip install -e '.[bench]' && python bench/fulltext_stories.py

A `full_text` source's items carry the article's text (trafilatura). The stories compare title and feed summary
(`watcher/stories.py`), plus the names, dates and figures of the article's opening (`article_opening`: its first
paragraphs), which is what the service ships. This measures what the opening adds, and what reading all its words
would add, on what the shared corpus and the demo offer:

1. `trafilatura-eval-fr` (25 French article pages with gold snippets). A feed item is taken as the page's title
   and description (what a feed carries); the lead is the first paragraphs of trafilatura's text. Printed: the
   names, dates and figures the lead adds (as `watcher/stories.py` reads them), how much of the lead is the gold's
   article text and how much its boilerplate, and the shipped scorer on every pair of pages — without the lead, with
   the lead's names, dates and figures alone, and with the lead read as more summary (words, names, event words,
   dates) — all pages put at one instant (the hardest case: no hours apart) and also at their own dates. The pages
   tell 25 different pieces of news: every pair is a different event, so a join is a false join. The corpus holds
   no two pages of one event, hence no recall to measure.
2. The demo snapshot (`watcher/demo/snapshot`): its article pages and `full_text` sources are counted. It holds
   feeds only, so the proxy printed is the feed's lead itself: story pairs with the title alone, then title and
   lead, against `labels.csv`.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import sys
from collections.abc import Hashable
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402
import yaml  # noqa: E402

from bench.relevance import pairwise  # noqa: E402
from watcher.normalize import html_to_text, normalize  # noqa: E402
from watcher.parse.errors import ParseError  # noqa: E402
from watcher.parse.feed import parse_feed  # noqa: E402
from watcher.stories import (  # noqa: E402
    MIN_PARAGRAPH_CHARS,
    OPENING_PARAGRAPHS,
    WINDOW,
    StoryDoc,
    StoryIndex,
    _conflict,
    article_opening,
    assign_stories,
    story_doc,
)
from watcher.story_evidence import FEATURES, shipped_scorer  # noqa: E402
from watcher.text import fold  # noqa: E402

CORPUS = Path(os.environ.get("VEILLE_CORPUS", REPO.parent / "shared" / "corpus"))
PAGES = CORPUS / "trafilatura-eval-fr"
SNAPSHOT = REPO / "watcher" / "demo" / "snapshot"
ONE_INSTANT = datetime(2026, 11, 20, 12, tzinfo=UTC)


def page_items() -> list[dict[str, object]]:
    gold = json.loads((PAGES / "evaldata_fr.json").read_text(encoding="utf-8"))
    items = []
    for url, entry in gold.items():
        html = (PAGES / "html" / entry["file"]).read_text(encoding="utf-8", errors="replace")
        extracted = trafilatura.bare_extraction(html, url=url, with_metadata=True, fast=True)
        document = extracted.as_dict() if extracted else {}
        text = trafilatura.extract(html, url=url, include_comments=False, fast=True) or ""
        description = (document.get("description") or "").strip()
        date = document.get("date")
        items.append(
            {
                "file": entry["file"],
                "title": (document.get("title") or "").strip(),
                "description": description,
                "text": text,
                "lead": article_opening(text, description),
                "at": datetime.fromisoformat(date).replace(hour=12, tzinfo=UTC) if date else ONE_INSTANT,
                "with": entry.get("with", []),
                "without": entry.get("without", []),
            }
        )
    return items


VARIANTS = (
    ("title + description", ""),
    ("+ lead names and figures", "names"),  # as shipped: the opening's names, dates and figures join the entities
    ("+ lead text (first paragraphs)", "text"),  # the lead is read as more summary: words, names, event words
)


def item_doc(item: dict[str, object], lead: str, at: datetime) -> StoryDoc:
    title, description = str(item["title"]), str(item["description"])
    if lead == "text":
        return story_doc(title, f"{description}\n{item['lead']}", at)
    return story_doc(title, description, at, body=str(item["text"]) if lead == "names" else None)


def _named(doc: StoryDoc) -> set[str]:
    """The names, dates and figures of a document's TF-IDF vector: its title's and summary's, its opening's too."""
    return {term for term in doc.terms if ":" in term}


def pair_probabilities(docs: list[StoryDoc]) -> list[tuple[int, int, float, float, float]]:
    """(i, j, probability, cosine, kinds of happening both tell) of every pair no veto keeps apart.

    The IDF is that of an index holding the docs alone: with fewer than 1,000 items, every word counts as rare.
    """
    index = StoryIndex(window=WINDOW * 10_000)
    for n, doc in enumerate(docs):
        index.add(n, n, doc)
    scorer = shipped_scorer()
    cosine, events = FEATURES.index("cosinus"), FEATURES.index("même événement")
    found = []
    for i, j in combinations(range(len(docs)), 2):
        if _conflict(docs[i], docs[j]):
            continue
        evidence = index.evidence(docs[j], docs[i])
        found.append((i, j, scorer.probability(evidence), evidence.values[cosine], evidence.values[events]))
    return found


def print_pages() -> None:
    if not PAGES.is_dir():
        print(f"{PAGES} absent: the page measurement is skipped")
        return
    items = page_items()
    print(f"== trafilatura-eval-fr: {len(items)} article pages, every pair a different event ==")
    added_counts, base_counts = [], []
    with_in_lead = with_total = without_in_lead = without_total = 0
    for item in items:
        base = story_doc(str(item["title"]), str(item["description"]), ONE_INSTANT)
        full = story_doc(str(item["title"]), f"{item['description']}\n{item['lead']}", ONE_INSTANT)
        base_counts.append(len(base.entities))
        added_counts.append(len(full.entities - base.entities))
        lead = fold(str(item["lead"]))
        with_total += len(item["with"])
        without_total += len(item["without"])
        with_in_lead += sum(fold(snippet) in lead for snippet in item["with"])
        without_in_lead += sum(fold(snippet) in lead for snippet in item["without"])
    lead_chars = [len(str(item["lead"])) for item in items]
    undescribed = sum(not item["description"] for item in items)
    print(
        f"lead (first {OPENING_PARAGRAPHS} paragraphs of ≥ {MIN_PARAGRAPH_CHARS} chars):"
        f" median {statistics.median(lead_chars):.0f} chars; pages without description: {undescribed}"
    )
    print(
        f"names/dates/figures per item: title+description median {statistics.median(base_counts):.0f}"
        f" (total {sum(base_counts)}); the lead adds median {statistics.median(added_counts):.0f}"
        f" (total {sum(added_counts)}, ×{(sum(base_counts) + sum(added_counts)) / max(1, sum(base_counts)):.1f})"
    )
    print(
        f"gold snippets in the lead: article text {with_in_lead}/{with_total},"
        f" boilerplate {without_in_lead}/{without_total}"
    )
    bar = shipped_scorer().bar
    print(f"shipped scorer on the pairs (bar {bar}):")
    print(
        f"{'evidence':<34}{'when':<14}{'pairs':>6}{'joins':>7}{'max p':>8}{'mean cos':>10}{'max cos':>9}{'shared':>8}"
    )
    for when in ("one instant", "own dates"):
        for name, lead in VARIANTS:
            docs = [
                item_doc(item, lead, ONE_INSTANT if when == "one instant" else item["at"])  # type: ignore[arg-type]
                for item in items
            ]
            pairs = pair_probabilities(docs)
            if when == "own dates":
                pairs = [p for p in pairs if abs(docs[p[0]].at - docs[p[1]].at) <= WINDOW]
            shared = [len(_named(docs[i]) & _named(docs[j])) for i, j, *_ in pairs]
            closest = max(pairs, key=lambda pair: pair[2], default=None)
            print(
                f"{name:<34}{when:<14}{len(pairs):>6}{sum(p >= bar for _, _, p, _, _ in pairs):>7}"
                f"{max((p for _, _, p, _, _ in pairs), default=0):>8.3f}"
                f"{statistics.fmean(c for *_, c, _ in pairs) if pairs else 0:>10.3f}"
                f"{max((c for *_, c, _ in pairs), default=0):>9.3f}"
                f"{statistics.fmean(shared) if shared else 0:>8.2f}"
                f"{statistics.fmean(e for *_, e in pairs) if pairs else 0:>8.2f}"
            )
            if closest and lead:
                print(f"    closest pair: {items[closest[0]]['file']} / {items[closest[1]]['file']}")
    print(
        "  (pairs: those no veto keeps apart — dates in a lead add vetoes; joins: at or above the bar, all false;\n"
        "   shared: names/dates/figures in both items, mean; events: kinds of happening both tell, mean)"
    )


def print_demo() -> None:
    manifest = yaml.safe_load((SNAPSHOT / "manifest.yaml").read_text(encoding="utf-8"))
    pages = [
        path.name for path in SNAPSHOT.iterdir() if path.suffix in (".html", ".htm") and path.name != "broken.html"
    ]
    full_text = [source["name"] for source in manifest["sources"] if source.get("full_text")]
    print("\n== demo snapshot ==")
    print(f"article pages: {len(pages)}; sources with full_text: {len(full_text)} — no body to add")
    with (SNAPSHOT / "labels.csv").open(encoding="utf-8") as handle:
        truth = {row["link"]: row["story"] for row in csv.DictReader(handle)}
    items = {}
    for source in manifest["sources"]:
        path = SNAPSHOT / source["file"]
        try:
            entries = parse_feed(path.read_bytes(), path.name).entries
        except ParseError:
            continue  # the snapshot's broken source, on purpose
        for entry in entries:
            item = normalize(entry, source["name"], ONE_INSTANT)
            if item and item.published and entry.link in truth:
                items.setdefault(entry.link, item)
    ordered = sorted(items.values(), key=lambda item: (item.published, item.url))
    keys = [next(link for link in items if items[link] is item) for item in ordered]
    print("proxy, the feed's lead as the only paragraph there is (story pairs against labels.csv):")
    for name, with_lead in (("title alone", False), ("title + feed lead", True)):
        predicted: dict[str, Hashable] = assign_stories(
            (key, story_doc(item.title, html_to_text(item.summary) if with_lead else "", item.published))
            for key, item in zip(keys, ordered, strict=True)
        )
        precision, recall, pairs = pairwise(predicted, {key: truth[key] for key in keys})
        print(f"  {name:<20} precision {precision:.3f}  recall {recall:.3f}  ({pairs} same-story pairs)")


def main() -> int:
    print_pages()
    print_demo()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
