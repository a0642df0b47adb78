"""When a source is due again: interval, server freshness hints, Retry-After, backoff, all clamped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watcher.cadence import MAX_BACKOFF, MAX_HINT, freshness, next_check, retry_after

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


@pytest.mark.parametrize(
    ("headers", "ttl", "expected"),
    [
        ({"cache-control": "public, max-age=7200"}, None, timedelta(hours=2)),
        ({"cache-control": "s-maxage=600, no-transform"}, None, timedelta(minutes=10)),
        (
            {"expires": "Mon, 23 Nov 2026 12:00:00 GMT", "date": "Mon, 23 Nov 2026 09:00:00 GMT"},
            None,
            timedelta(hours=3),
        ),
        ({"expires": "0"}, None, None),  # unreadable Expires: no hint
        ({}, 90, timedelta(minutes=90)),  # RSS <ttl> in minutes
        ({"cache-control": "max-age=60"}, 120, timedelta(minutes=120)),  # the longer of the two
        ({}, None, None),
    ],
)
def test_freshness_hints(headers: dict[str, str], ttl: int | None, expected: timedelta | None) -> None:
    assert freshness(headers, NOW, ttl) == expected


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after("120", NOW) == timedelta(minutes=2)
    assert retry_after("Mon, 23 Nov 2026 10:30:00 GMT", NOW) == timedelta(hours=1, minutes=30)
    assert retry_after("Mon, 23 Nov 2026 08:00:00 GMT", NOW) == timedelta(0)  # already past
    assert retry_after("bientôt", NOW) is None
    assert retry_after(None, NOW) is None


def test_hints_only_slow_down_and_are_clamped() -> None:
    assert next_check(NOW, HALF_HOUR) == NOW + HALF_HOUR
    assert next_check(NOW, HALF_HOUR, hint=timedelta(minutes=1)) == NOW + HALF_HOUR  # never faster
    assert next_check(NOW, HALF_HOUR, hint=timedelta(hours=3)) == NOW + timedelta(hours=3)
    assert next_check(NOW, HALF_HOUR, hint=timedelta(days=365)) == NOW + MAX_HINT  # a year of max-age
    assert next_check(NOW, timedelta(days=2), hint=timedelta(days=365)) == NOW + timedelta(days=2)


def test_backoff_doubles_is_capped_and_honours_retry_after() -> None:
    assert next_check(NOW, HALF_HOUR, 1) == NOW + timedelta(hours=1)
    assert next_check(NOW, HALF_HOUR, 3) == NOW + timedelta(hours=4)
    assert next_check(NOW, HALF_HOUR, 50) == NOW + MAX_BACKOFF  # retried, never dropped
    assert next_check(NOW, HALF_HOUR, 1, retry=timedelta(hours=5)) == NOW + timedelta(hours=5)
    assert next_check(NOW, HALF_HOUR, 1, retry=timedelta(seconds=5)) == NOW + timedelta(hours=1)
    assert next_check(NOW, HALF_HOUR, 1, retry=timedelta(days=30)) == NOW + MAX_HINT
