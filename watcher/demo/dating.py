"""The snapshot's dates, moved so that the demo reads it on the morning it was written for, whatever the day.

Its feeds are dated 19–21 November 2026. Read weeks later as they are, every source would look
silent for weeks in the digest's health report, and nothing would be « nouveau ». Every date is
moved by the same amount, so what the demo shows (stories, windows, rhythms) stays the same.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

# The morning after the snapshot's last item, when its digest was first read.
SNAPSHOT_READ_AT = datetime(2026, 11, 23, 7, 0, tzinfo=ZoneInfo("Europe/Paris"))

_RFC822 = re.compile(rb"<(pubDate|lastBuildDate)>([^<]+)</\1>")
_RFC3339 = re.compile(rb"<(dc:date|published|updated)>([^<]+)</\1>")


def moved_by(now: datetime) -> timedelta:
    # Whole minutes: a feed's own times keep their round values.
    return timedelta(minutes=(now - SNAPSHOT_READ_AT) // timedelta(minutes=1))


def redated(body: bytes, shift: timedelta) -> bytes:
    """`body` (RSS, RDF or Atom, in any ASCII-compatible encoding) with every date moved by `shift`."""

    def rfc822(match: re.Match[bytes]) -> bytes:
        moved = parsedate_to_datetime(match.group(2).decode("ascii").strip()) + shift
        return b"<%s>%s</%s>" % (match.group(1), format_datetime(moved).encode("ascii"), match.group(1))

    def rfc3339(match: re.Match[bytes]) -> bytes:
        moved = datetime.fromisoformat(match.group(2).decode("ascii").strip()) + shift
        return b"<%s>%s</%s>" % (match.group(1), moved.isoformat().encode("ascii"), match.group(1))

    return _RFC3339.sub(rfc3339, _RFC822.sub(rfc822, body))


def redated_copy(snapshot: Path, folder: Path, now: datetime) -> Path:
    """The snapshot's files copied into `folder`, its feeds redated for `now`."""
    shift = moved_by(now)
    for path in snapshot.iterdir():
        if path.is_file():
            body = path.read_bytes()
            (folder / path.name).write_bytes(redated(body, shift) if path.suffix == ".xml" else body)
    return folder
