"""When a source is due again: its interval, what the server asks for, and backoff after errors.

The server's hints (Cache-Control max-age, Expires, the RSS `ttl`, Retry-After)
can only slow us down, never make us poll faster than the configured interval,
and they are clamped so that a misconfigured server (max-age of a year) cannot
silence a source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MIN_INTERVAL = timedelta(minutes=5)
MAX_HINT = timedelta(hours=24)
MAX_BACKOFF = timedelta(hours=12)

_MAX_AGE_RE = re.compile(r"(?:^|[,\s])(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.I)


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def freshness(headers: Mapping[str, str], now: datetime, ttl_minutes: int | None = None) -> timedelta | None:
    """How long the server says its answer stays fresh: max-age, else Expires, and the RSS ttl; None if silent."""
    hints: list[timedelta] = []
    cache_control = headers.get("cache-control", "")
    match = _MAX_AGE_RE.search(cache_control)
    if match:
        hints.append(timedelta(seconds=int(match.group(1))))
    elif headers.get("expires"):
        expires = _http_date(headers["expires"])
        if expires is not None:
            served = _http_date(headers.get("date", "")) or now
            hints.append(max(expires - served, timedelta(0)))
    if ttl_minutes is not None and ttl_minutes > 0:
        hints.append(timedelta(minutes=ttl_minutes))
    return max(hints) if hints else None


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as a delay: delta-seconds or an HTTP date (RFC 9110 §10.2.3); None if absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    when = _http_date(text)
    return max(when - now, timedelta(0)) if when is not None else None


def _clamp(delay: timedelta, low: timedelta, high: timedelta) -> timedelta:
    return max(low, min(delay, high))


def next_check(
    now: datetime,
    interval: timedelta,
    consecutive_errors: int = 0,
    *,
    hint: timedelta | None = None,
    retry: timedelta | None = None,
) -> datetime:
    """The next due time.

    Success: the interval, or longer if the server's freshness hint says so.
    After n errors in a row: 2^n × the interval, capped at 12 h (a broken source is
    retried, never dropped), and never sooner than the server's Retry-After.
    """
    if consecutive_errors <= 0:
        delay = interval
        if hint is not None:
            delay = max(delay, _clamp(hint, MIN_INTERVAL, max(MAX_HINT, interval)))
        return now + delay
    delay = min(interval * (2 ** min(consecutive_errors, 10)), max(MAX_BACKOFF, interval))
    if retry is not None:
        delay = max(delay, _clamp(retry, MIN_INTERVAL, MAX_HINT))
    return now + delay
