"""The amendment development set of issue #21 (bench/devset/amendments.csv and amendments-self-written.jsonl).

Integrity only: every row leads to an amendment with a text, and both labels are there. How well the rule does on
the set is what `python bench/amendments.py` prints; it is not asserted here.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bench.amendments import LABELS, SELF_WRITTEN, Case, DevsetError, load_real_cases, load_self_written_cases
from watcher.parse.parliament import ParliamentKind


@pytest.fixture
def parliament_corpus(corpus: Path) -> Path:
    for folder in ("parliament-zam", "parliament-regardscitoyens"):
        if not (corpus / folder).is_dir():
            pytest.skip(f"shared corpus without {folder} ({corpus}); the real amendments cannot be read")
    return corpus


def _assert_amendments_with_text(cases: list[Case]) -> None:
    for case in cases:
        assert case.entry.parliament.kind == ParliamentKind.AMENDEMENT, case.key
        assert case.entry.title.startswith(("Amendement n° ", "Sous-amendement n° ")), case.key
        assert case.entry.summary_html.strip() or case.entry.content_html.strip(), case.key
        assert case.reason.strip(), case.key


def test_self_written_amendments_read_as_amendments_with_their_own_text() -> None:
    records = [json.loads(line) for line in SELF_WRITTEN.read_text(encoding="utf-8").splitlines()]
    cases = load_self_written_cases()
    assert len(cases) == len(records)
    assert len({record["id"] for record in records}) == len(records)
    _assert_amendments_with_text(cases)
    for record, case in zip(records, cases, strict=True):
        assert record["alert"] in (0, 1), record["id"]
        # What the parser read is the record's own text, at an address no one can take for a real amendment.
        assert record["expose"][:40] in case.entry.summary_html
        assert record["dispositif"][:40] in case.entry.content_html
        assert case.entry.link == f"https://exemple.invalid/amendements/{record['id']}"
    assert {case.alert for case in cases} == {True, False}


def test_every_corpus_key_is_a_real_amendment_with_a_text(parliament_corpus: Path) -> None:
    with LABELS.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    # Labels and a reason in our words: the corpus's text never enters the repository.
    assert reader.fieldnames == ["file", "number", "alert", "reason"]
    assert all(row["alert"] in ("0", "1") for row in rows)
    cases = load_real_cases(parliament_corpus)
    assert len(cases) == len(rows)
    assert len({case.key for case in cases}) == len(cases)
    _assert_amendments_with_text(cases)
    assert all(not (case.entry.link or "").startswith("https://exemple.invalid/") for case in cases)
    assert {case.alert for case in cases} == {True, False}


def test_the_set_holds_at_least_40_amendments_labelled_both_ways(parliament_corpus: Path) -> None:
    cases = load_real_cases(parliament_corpus) + load_self_written_cases()
    assert len(cases) >= 40
    alerts = sum(case.alert for case in cases)
    # A set nearly all of one label could not tell a rule that alerts on everything from a good one.
    assert min(alerts, len(cases) - alerts) >= len(cases) / 3


def test_a_key_that_is_not_in_the_corpus_is_an_error(parliament_corpus: Path, tmp_path: Path) -> None:
    labels = tmp_path / "amendments.csv"
    labels.write_text(
        "file,number,alert,reason\nparliament-zam/an/269/155.xml,156,1,a number the file does not hold\n",
        encoding="utf-8",
    )
    with pytest.raises(DevsetError, match="ligne 2 : 0 amendement"):
        load_real_cases(parliament_corpus, labels)
    labels.write_text("file,number,alert,reason\nparliament-zam/an/269/999.xml,999,0,no such file\n", encoding="utf-8")
    with pytest.raises(DevsetError, match="fichier absent du corpus"):
        load_real_cases(parliament_corpus, labels)
