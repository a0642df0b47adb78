"""Days and `--since` as people type them; the demo's digest day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from watcher.config import DigestConfig
from watcher.demo.runner import digest_day_holding
from watcher.when import parse_day, parse_since

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "written",
    ["2026-12-05", "05/12/2026", "5/12/2026", "05.12.2026", "samedi 5 décembre 2026", "5 decembre 2026",
     "  5 DÉCEMBRE 2026 "],
)  # fmt: skip
def test_a_day_the_iso_way_the_french_way_or_as_the_digest_writes_it(written: str) -> None:
    assert parse_day(written) == date(2026, 12, 5)


def test_first_of_the_month() -> None:
    assert parse_day("1er décembre 2026") == date(2026, 12, 1)


@pytest.mark.parametrize("written", ["31/11/2026", "2026-13-01", "hier", "5 brumaire 2026", "12/2026", ""])
def test_a_bad_day_says_which_formats_work(written: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_day(written)
    assert str(raised.value) == (
        f"date invalide « {written} » (formats acceptés : 2026-11-23, 23/11/2026 ou 23 novembre 2026)"
    )


@pytest.mark.parametrize(
    ("written", "moment"),
    [
        ("24h", NOW - timedelta(hours=24)),
        ("7j", NOW - timedelta(days=7)),
        ("7d", NOW - timedelta(days=7)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=PARIS)),
        ("01/12/2026", datetime(2026, 12, 1, tzinfo=PARIS)),
    ],
)
def test_since_is_a_duration_back_from_now_or_the_start_of_a_day(written: str, moment: datetime) -> None:
    assert parse_since(written, NOW, PARIS) == moment


def test_since_neither_duration_nor_day() -> None:
    with pytest.raises(ValueError) as raised:
        parse_since("la semaine dernière", NOW, PARIS)
    assert str(raised.value) == (
        "« la semaine dernière » n'est ni une durée ni une date (attendu : une durée (24h, 7j) ou un jour "
        "(2026-11-23, 23/11/2026))"
    )


@pytest.mark.parametrize(
    ("local", "day"),
    [
        (datetime(2026, 12, 5, 7, 29, tzinfo=PARIS), date(2026, 12, 5)),
        (datetime(2026, 12, 5, 7, 30, tzinfo=PARIS), date(2026, 12, 6)),  # the window ends at 07:30, excluded
        (datetime(2026, 12, 5, 15, 0, tzinfo=PARIS), date(2026, 12, 6)),
        (datetime(2026, 12, 31, 23, 59, tzinfo=PARIS), date(2027, 1, 1)),
    ],
)
def test_the_demo_digest_is_the_one_whose_window_holds_the_collection(local: datetime, day: date) -> None:
    settings = DigestConfig(time=time(7, 30), timezone="Europe/Paris")
    assert digest_day_holding(local.astimezone(UTC), settings) == day
