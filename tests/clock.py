"""The instant the tests take for « now »: no test reads the wall clock or depends on the day it runs."""

from __future__ import annotations

from datetime import UTC, datetime

from store.models import Clock, clock_at
from watcher.demo.dating import SNAPSHOT_READ_AT

# The Monday the demo snapshot was written for, at 07:00 in Paris: half an hour before that day's digest.
NOW = SNAPSHOT_READ_AT.astimezone(UTC)
# The `watcher` option that runs a command at NOW.
AT_NOW = ["--now", NOW.isoformat()]


def frozen(at: datetime = NOW) -> Clock:
    """A clock that always says `at`."""
    return clock_at(at)
