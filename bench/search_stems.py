"""How `watcher search` stems French words with and without accents, on a year of Le Monde headlines.

    python bench/search_stems.py

Reads the titles and leads of lemonde-rss-2022 in the shared corpus ($VEILLE_CORPUS or ../shared/corpus)
and counts word occurrences (tokens), stop words aside:
- how often folding accents before stemming changes an accented word's Snowball stem (the analysis
  before migration 0008: « fermées » searched as « ferme »);
- how often a query typed without accents finds the accented word (`query_stems`), and a word written
  without accents in the archive (a title in capitals) is found by the accented query (`index_stem`);
- what the query's extra stems cost: occurrences of other stems they match, per occurrence of the right one.
"""

from __future__ import annotations

import csv
import os
import sys
from collections import Counter
from pathlib import Path

import snowballstemmer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.search import index_stem, query_stems  # noqa: E402
from watcher.text import fold, tokenize  # noqa: E402

CORPUS = Path(os.environ.get("VEILLE_CORPUS", REPO.parent / "shared" / "corpus"))
HEADLINES = CORPUS / "lemonde-rss-2022" / "lemonde-2022-headlines-labelled.csv"


def vocabulary() -> Counter[str]:
    words: Counter[str] = Counter()
    csv.field_size_limit(1 << 26)
    with HEADLINES.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for field in ("title", "description"):
                words.update(token.surface.lower() for token in tokenize(row[field] or "") if not token.stop)
    return words


def number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%} ({number(part)} / {number(whole)})"


def main() -> None:
    if not HEADLINES.is_file():
        sys.exit(f"corpus absent : {HEADLINES} (définir VEILLE_CORPUS)")
    words = vocabulary()
    snowball = snowballstemmer.stemmer("french")
    accented = {word: count for word, count in words.items() if fold(word) != word and fold(word).isascii()}
    total = sum(accented.values())
    changed = sum(count for word, count in accented.items() if snowball.stemWord(fold(word)) != index_stem(word))
    typed = sum(count for word, count in accented.items() if index_stem(word) in query_stems(fold(word)))
    capitals = sum(count for word, count in accented.items() if index_stem(fold(word)) == index_stem(word))
    occurrences: Counter[str] = Counter()
    for word, count in words.items():
        occurrences[index_stem(word)] += count
    right = extra = 0
    for word, count in accented.items():
        wanted = index_stem(word)
        right += count * occurrences[wanted]
        extra += count * sum(occurrences[stem] for stem in query_stems(fold(word)) if stem != wanted)
    print(
        f"{number(len(words))} distinct words, {number(sum(words.values()))} occurrences; "
        f"{number(len(accented))} accented, {number(total)} occurrences"
    )
    print(f"  stem changed by folding first (before 0008)   {share(changed, total)}")
    print(f"  found by the query typed without accents      {share(typed, total)}")
    print(f"  found when the archive writes it unaccented   {share(capitals, total)}")
    print(f"  extra occurrences matched by the query's other stems, per right one: {extra / right:.2%}")


if __name__ == "__main__":
    main()
