"""When a source is due again: its interval, or an exponential backoff after errors."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=12)


def next_check(now: datetime, interval: timedelta, consecutive_errors: int = 0) -> datetime:
    """Back off 2^n × the interval after n errors in a row, capped: a broken source is retried, never dropped."""
    if consecutive_errors <= 0:
        return now + interval
    delay = min(interval * (2 ** min(consecutive_errors, 10)), max(MAX_BACKOFF, interval))
    return now + delay
