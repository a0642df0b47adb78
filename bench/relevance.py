"""Relevance on the development set: precision, recall and F1 per label, pairwise story figures.

    python bench/relevance.py [--config sources.yaml] [--errors] [--joins N]

--joins N prints N joins drawn at random (seeded) from a year of Le Monde, each item beside the
item of its story published just before it: the unlabelled precision that the pairs cannot show,
for a person to read.

The labels live in bench/devset/ (corpus links and labels only; the press text is read from
the shared corpus at run time, $VEILLE_CORPUS or ../shared/corpus). self-written.jsonl holds
a few hard cases written by the team (AME, mentions, members), clearly marked as such.
Each figure is printed beside a naive keyword matcher (what Google Alerts gives).

member_mention is measured over (item, member) pairs: its truth is the `member` list of the
self-written items; no corpus item names a member, so theirs is empty.

loss_kind is measured on the items labelled in the pertes_de_chance theme: the kinds that
watcher/losses.py finds in the title and lead against the labelled `loss_kind`, item by item
(the same list) and kind by kind (precision and recall over the labelled kinds).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.config import Config, load_config  # noqa: E402
from watcher.losses import LOSS_KINDS, loss_kinds  # noqa: E402
from watcher.normalize import Item, html_to_text, normalize  # noqa: E402
from watcher.parse.feed import RawEntry, parse_feed  # noqa: E402
from watcher.score import Scorer  # noqa: E402
from watcher.stories import assign_stories, signature, story_doc, story_words  # noqa: E402
from watcher.text import fold  # noqa: E402

DEVSET = REPO / "bench" / "devset"
CORPUS = Path(os.environ.get("VEILLE_CORPUS", REPO.parent / "shared" / "corpus"))
LABELS = ("hopital", "greve", "ame", "pertes_de_chance", "mention")
THEMES = ("hopital", "greve", "ame", "pertes_de_chance")
COLLECTED = datetime(2026, 11, 23, tzinfo=UTC)

# The naive baseline: any keyword anywhere, case and accents ignored.
NAIVE = {
    "hopital": r"\bhopita|\burgences\b|\bsoignants?\b|\bdeserts? medicaux\b",
    "greve": r"\bgreve",
    "ame": r"\bame\b|aide medicale",
    "pertes_de_chance": r"\bdeprogramm|\burgences\b|\bmaternite|\bpenuries? de medicaments?|\bdeserts? medicaux\b"
    r"|\bmedecin traitant\b|\bperte de chances?\b",
    "mention": r"action patients|action des patients|\bvacher\b|damien dubois|guy bouguet|magali leo",
}


@dataclass
class Case:
    key: str
    item: Item
    labels: dict[str, bool]
    members: frozenset[str] = frozenset()  # the member associations the item names (self-written items only)
    kinds: tuple[str, ...] = ()  # the kinds of loss of chance, for an item of the pertes_de_chance theme


@dataclass
class StoryCase:
    key: str
    item: Item
    event: str  # empty: alone in the set (a lookalike of some event)
    saga: bool  # the event is told over more than four days


def _item(url: str, title: str, summary: str, published: datetime | None, source: str) -> Item | None:
    entry = RawEntry(guid=url, link=url, title=title, summary_html=summary, published=published)
    return normalize(entry, source, COLLECTED)


def _labels(row: dict[str, str]) -> dict[str, bool]:
    return {label: row[label] == "1" for label in LABELS}


def _kinds(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(kind for kind in row["loss_kind"].split(";") if kind)


def load_cases() -> list[Case]:
    cases: list[Case] = []
    lemonde = CORPUS / "lemonde-rss-2022" / "lemonde-2022-headlines-labelled.csv"
    with lemonde.open(encoding="utf-8") as handle:
        texts = {row["link"]: row for row in csv.DictReader(handle)}
    with (DEVSET / "lemonde-2022.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = texts[row["link"]]
            published = datetime.fromisoformat(text["pubDate"])
            item = _item(row["link"], text["title"], text["description"], published, "Le Monde")
            if item:
                cases.append(Case(row["link"], item, _labels(row), kinds=_kinds(row)))
    feeds: dict[str, dict[str, RawEntry]] = {}
    with (DEVSET / "rss-fr-press-2025.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            entry = _feed_entries(row["feed"], feeds)[row["link"]]
            item = normalize(entry, row["feed"], COLLECTED)
            if item:
                cases.append(Case(row["link"], item, _labels(row), kinds=_kinds(row)))
    for line in (DEVSET / "self-written.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        published = datetime.fromisoformat(record["published"])
        item = _item(record["url"], record["title"], record["summary"], published, record["source"])
        labels = {label: bool(record[label]) for label in LABELS}
        if item:
            kinds = tuple(record["loss_kind"])
            cases.append(Case(record["url"], item, labels, frozenset(record["member"]), kinds))
    return cases


def _feed_entries(feed: str, cache: dict[str, dict[str, RawEntry]]) -> dict[str, RawEntry]:
    if feed not in cache:
        path = CORPUS / "rss-fr-press-2025" / "feeds" / feed
        cache[feed] = {entry.link or "": entry for entry in parse_feed(path.read_bytes(), str(path)).entries}
    return cache[feed]


def story_events() -> dict[str, tuple[str, str]]:
    """Each labelled event: its kind (« event », or « saga » when told over more than four days) and what it is."""
    with (DEVSET / "story-events.csv").open(encoding="utf-8") as handle:
        return {row["event"]: (row["kind"], row["what"]) for row in csv.DictReader(handle)}


def load_story_cases() -> list[StoryCase]:
    """The story set (bench/devset/stories.csv): every item with its event, texts read from the corpus."""
    with (CORPUS / "lemonde-rss-2022" / "lemonde-2022-headlines-labelled.csv").open(encoding="utf-8") as handle:
        lemonde = {row["link"]: row for row in csv.DictReader(handle)}
    self_written = {
        record["url"]: record
        for record in map(json.loads, (DEVSET / "self-written.jsonl").read_text(encoding="utf-8").splitlines())
    }
    kinds = story_events()
    feeds: dict[str, dict[str, RawEntry]] = {}
    cases: list[StoryCase] = []
    with (DEVSET / "stories.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["corpus"] == "lemonde-rss-2022":
                text = lemonde[row["link"]]
                item = _item(
                    row["link"], text["title"], text["description"], datetime.fromisoformat(text["pubDate"]), "Le Monde"
                )
            elif row["corpus"] == "rss-fr-press-2025":
                item = normalize(_feed_entries(row["feed"], feeds)[row["link"]], row["feed"], COLLECTED)
            else:
                record = self_written[row["link"]]
                published = datetime.fromisoformat(record["published"])
                item = _item(record["url"], record["title"], record["summary"], published, record["source"])
            if item is None:
                raise ValueError(f"{row['link']} : l'article n'a pas pu être lu dans le corpus")
            event = row["event"]
            cases.append(StoryCase(row["link"], item, event, bool(event) and kinds[event][0] == "saga"))
    return cases


def prf(predicted: list[bool], truth: list[bool]) -> tuple[float, float, float, int]:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp + fn


def pairwise(
    predicted: dict[str, Hashable], truth: dict[str, str], counted: Callable[[str, str], bool] = lambda a, b: True
) -> tuple[float, float, int]:
    """Pairs of items put in one story: precision and recall against the labelled stories, over the pairs `counted`."""
    keys = sorted(predicted)
    tp = fp = fn = 0
    for left, right in combinations(keys, 2):
        if not counted(left, right):
            continue
        same_predicted = predicted[left] == predicted[right]
        same_true = bool(truth[left]) and truth[left] == truth[right]
        tp += same_predicted and same_true
        fp += same_predicted and not same_true
        fn += same_true and not same_predicted
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0), tp + fn


def lookalikes() -> list[tuple[str, str, str]]:
    """Pairs of items of different events that share a name, a kind of event or a bill (read, one by one)."""
    with (DEVSET / "story-lookalikes.csv").open(encoding="utf-8") as handle:
        return [(row["left"], row["right"], row["kind"]) for row in csv.DictReader(handle)]


def cluster(cases: list[StoryCase]) -> dict[str, Hashable]:
    """The service's stories over the set, items taken in publication order."""
    ordered = sorted(cases, key=lambda c: (c.item.published, c.key))
    return assign_stories((c.key, story_doc(c.item.title, c.item.summary, c.item.published)) for c in ordered)


def print_stories(cases: list[StoryCase], *, errors: bool = False) -> None:
    """Pairwise figures on events of four days or less (the headline), then on sagas apart, beside the baseline."""
    truth = {case.key: case.event for case in cases}
    saga = {case.key for case in cases if case.saga}
    predicted = cluster(cases)
    baseline = naive_stories(cases)
    scopes: dict[str, Callable[[str, str], bool]] = {
        "events ≤ 4 days": lambda a, b: a not in saga and b not in saga,
        "sagas (apart)": lambda a, b: a in saga or b in saga,
    }
    events = {case.event for case in cases if case.event}
    print(
        f"Stories: {len(cases)} items, {len(events)} labelled events "
        f"({len({case.event for case in cases if case.saga})} sagas told over more than four days)"
    )
    print(f"{'stories':<17}{'pairs':>6}   {'ours P':>7}{'R':>7}   {'baseline P':>11}{'R':>7}")
    for name, counted in scopes.items():
        p, r, n = pairwise(predicted, truth, counted)
        bp, br, _ = pairwise(baseline, truth, counted)
        print(f"{name:<17}{n:>6}   {p:>7.3f}{r:>7.3f}   {bp:>11.3f}{br:>7.3f}")
    print("  (pairs: labelled same-event pairs; P/R over pairs; baseline = near-duplicates only)")
    pairs = lookalikes()
    joined = [(a, b, kind) for a, b, kind in pairs if predicted[a] == predicted[b]]
    by_kind = Counter(kind for _, _, kind in pairs)
    print(
        f"lookalike pairs joined: {len(joined)} of {len(pairs)} ("
        + ", ".join(f"{kind} {sum(k == kind for _, _, k in joined)}/{count}" for kind, count in sorted(by_kind.items()))
        + ")"
    )
    if not errors:
        return
    by_key = {case.key: case for case in cases}
    for a, b, kind in joined:
        print(f"    lookalike joined ({kind}): {by_key[a].item.title[:60]} | {by_key[b].item.title[:60]}")
    groups: dict[Hashable, list[StoryCase]] = {}
    for case in sorted(cases, key=lambda c: (c.item.published, c.key)):
        groups.setdefault(predicted[case.key], []).append(case)
    for group in groups.values():
        labels = {case.event for case in group}
        if len(group) > 1 and (len(labels) > 1 or "" in labels):
            print("    merged: " + " | ".join(f"[{c.event}] {c.item.title[:55]}" for c in group))
    for event in sorted(events):
        members = [case for case in cases if case.event == event]
        if len({predicted[c.key] for c in members}) > 1:
            print(f"    split {event}: " + " | ".join(c.item.title[:45] for c in members))


def naive_stories(cases: list[StoryCase]) -> dict[str, Hashable]:
    """Baseline: stage 1 only (near-duplicates), what most readers offer."""
    from watcher.stories import StoryIndex

    index = StoryIndex()
    stories: dict[str, Hashable] = {}
    for case in sorted(cases, key=lambda c: (c.item.published, c.key)):
        doc = story_doc(case.item.title, case.item.summary, case.item.published)
        words = story_words(case.item.title, case.item.summary)
        found = None
        for key in index._lsh.query(signature(words)):  # stage 1 only: verified near-duplicates
            if len(words & index._members[key].doc.words) / len(words | index._members[key].doc.words) >= 0.5:
                found = index._members[key].story
                break
        stories[case.key] = found if found is not None else case.key
        index.add(case.key, stories[case.key], doc)
    return stories


def print_member_mentions(config: Config, cases: list[Case], found: list[list[str]], errors: bool) -> None:
    """P/R over (item, member) pairs, beside the naive matcher: any name or alias, in any case, anywhere."""
    naive_patterns = {
        member.name: re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(fold(name)) for name in (member.name, *member.aliases)) + r")(?!\w)"
        )
        for member in config.watchlist.members
    }
    truth = {(case.key, member) for case in cases for member in case.members}
    ours = {(case.key, member) for case, members in zip(cases, found, strict=True) for member in members}
    naive = {
        (case.key, member)
        for case in cases
        for member, pattern in naive_patterns.items()
        if pattern.search(fold(f"{case.item.title} {case.item.summary}"))
    }
    pairs = sorted(truth | ours | naive)
    p, r, f, n = prf([pair in ours for pair in pairs], [pair in truth for pair in pairs])
    np_, nr, nf, _ = prf([pair in naive for pair in pairs], [pair in truth for pair in pairs])
    print(f"{'member_mention':<15}{n:>5}   {p:>7.3f}{r:>7.3f}{f:>7.3f}   {np_:>10.3f}{nr:>7.3f}{nf:>7.3f}")
    if errors:
        for key, member in pairs:
            if ((key, member) in ours) != ((key, member) in truth):
                print(f"    {'FP' if (key, member) in ours else 'FN'} {member}: {key}")


def print_loss_kinds(cases: list[Case], errors: bool) -> None:
    """The kinds of loss found on the items labelled in the theme: the same list item by item, then each kind."""
    labelled = [case for case in cases if case.labels["pertes_de_chance"]]
    found = [loss_kinds(case.item.title, case.item.summary) for case in labelled]
    same = sum(list(case.kinds) == kinds for case, kinds in zip(labelled, found, strict=True))
    print(f"loss_kind on {len(labelled)} items of the theme: the same list for {same} ({same / len(labelled):.3f})")
    cells = []
    for kind in LOSS_KINDS:
        predicted = [kind in kinds for kinds in found]
        truth = [kind in case.kinds for case in labelled]
        p, r, _f, n = prf(predicted, truth)
        cells.append(f"{kind} {n} P {p:.2f} R {r:.2f}")
    print("  " + " · ".join(cells))
    if errors:
        for case, kinds in zip(labelled, found, strict=True):
            if list(case.kinds) != kinds:
                print(f"    kinds {kinds} ≠ {list(case.kinds)}: {case.item.title[:90]}")


def lemonde_2022_rows() -> list[dict[str, str]]:
    """Every Le Monde item of 2022 in the corpus (the capture also holds a few archive pieces), oldest first."""
    with (CORPUS / "lemonde-rss-2022" / "lemonde-2022-headlines-labelled.csv").open(encoding="utf-8") as handle:
        return sorted((row for row in csv.DictReader(handle) if row["pubDate"] >= "2022"), key=lambda r: r["pubDate"])


def year_of_stories(sample_joins: int = 0) -> str:
    """What pairs cannot show, chains: every Le Monde item of 2022 clustered, and the largest and longest stories;
    and `sample_joins` joins at random, to read."""
    rows = lemonde_2022_rows()
    docs = [
        (row["link"], story_doc(row["title"], html_to_text(row["description"]), datetime.fromisoformat(row["pubDate"])))
        for row in rows
    ]
    at = {key: doc.at for key, doc in docs}
    members: dict[Hashable, list[str]] = {}
    for key, story in assign_stories(docs).items():
        members.setdefault(story, []).append(str(key))
    sizes = sorted((len(keys) for keys in members.values()), reverse=True)
    longest = max((max(at[k] for k in keys) - min(at[k] for k in keys)) for keys in members.values())
    summary = (
        f"  a year of Le Monde ({len(docs)} items): {len(members)} stories, {sum(size >= 10 for size in sizes)} of 10 "
        f"items or more, the largest {sizes[0]} items, the longest {longest.total_seconds() / 86400:.1f} days"
    )
    if not sample_joins:
        return summary
    title = {row["link"]: row["title"] for row in rows}
    # Each story's keys are in publication order: every key after the first joined through those before it.
    joins = [(keys[n - 1], keys[n]) for keys in members.values() for n in range(1, len(keys))]
    drawn = random.Random(2022).sample(joins, min(sample_joins, len(joins)))
    lines = [f"  {len(drawn)} of the year's {len(joins)} joins, drawn at random (each item, then the one before it):"]
    for before, joined in sorted(drawn, key=lambda pair: at[pair[1]]):
        lines.append(f"    {at[joined]:%d/%m %H:%M} {title[joined][:100]}")
        lines.append(f"      ← {at[before]:%d/%m %H:%M} {title[before][:100]}")
    return "\n".join([summary, *lines])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "sources.yaml"))
    parser.add_argument("--errors", action="store_true", help="list the misjudged items")
    parser.add_argument("--joins", type=int, default=0, metavar="N", help="print N joins of a year of Le Monde")
    args = parser.parse_args()
    if not (CORPUS / "lemonde-rss-2022").is_dir() or not (CORPUS / "rss-fr-press-2025").is_dir():
        print(f"corpus partagé absent ({CORPUS}) : définissez VEILLE_CORPUS pour lancer ce banc d'essai.")
        return 0
    config = load_config(Path(args.config))
    scorer = Scorer(config)
    cases = load_cases()
    judgements = [scorer.judge(case.item, None) for case in cases]
    ours: dict[str, Callable[[int], bool]] = {
        label: (lambda i, label=label: label in judgements[i].topics) for label in THEMES
    }
    ours["mention"] = lambda i: bool(judgements[i].mentions)
    self_written = sum(case.key.startswith("https://exemple.invalid/") for case in cases)
    print(f"Development set: {len(cases)} items ({self_written} self-written), corpus {CORPUS}")
    print(f"{'label':<15}{'n':>5}   {'ours P':>7}{'R':>7}{'F1':>7}   {'keyword P':>10}{'R':>7}{'F1':>7}")
    for label in LABELS:
        truth = [case.labels[label] for case in cases]
        predicted = [ours[label](i) for i in range(len(cases))]
        pattern = re.compile(NAIVE[label])
        naive = [bool(pattern.search(fold(f"{c.item.title} {c.item.summary}"))) for c in cases]
        p, r, f, n = prf(predicted, truth)
        np_, nr, nf, _ = prf(naive, truth)
        print(f"{label:<15}{n:>5}   {p:>7.3f}{r:>7.3f}{f:>7.3f}   {np_:>10.3f}{nr:>7.3f}{nf:>7.3f}")
        if args.errors:
            for i, case in enumerate(cases):
                if predicted[i] != truth[i]:
                    kind = "FP" if predicted[i] else "FN"
                    print(f"    {kind} {judgements[i].topic_scores.get(label, '-')!s:>4} {case.item.title[:90]}")
                    print(f"           {'; '.join(r for r in judgements[i].why if r.startswith(label))[:160]}")
    print_member_mentions(config, cases, [judgement.member_mentions for judgement in judgements], args.errors)
    print_loss_kinds(cases, args.errors)
    # Calibration: what share of the items in each score band the group would call relevant.
    digest, alert = config.alerts.digest_threshold, config.alerts.alert_threshold
    bands = ((0, digest - 1), (digest, alert - 1), (alert, 100))
    print("calibration (share labelled relevant per score band, items in band):")
    for label in THEMES:
        cells = []
        for low, high in bands:
            inside = [c for c, j in zip(cases, judgements, strict=True) if low <= j.topic_scores[label] <= high]
            share = sum(c.labels[label] for c in inside) / len(inside) if inside else 0.0
            cells.append(f"{low}-{high}: {share:.2f} ({len(inside)})")
        print(f"  {label:<8} " + "   ".join(cells))
    print_stories(load_story_cases(), errors=args.errors)
    print(year_of_stories(args.joins))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
