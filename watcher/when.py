"""Days and periods as people type them: 2026-11-23, 23/11/2026, « lundi 23 novembre 2026 », 24h, 7j.

Every command option that takes a day reads it here, and every `--since` means the same thing: a duration
back from now (`24h`, `7j`, `30m`) or a day (from its midnight, in the collective's time zone).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from watcher.config import parse_duration

DAY_FORMATS = "2026-11-23, 23/11/2026 ou 23 novembre 2026"
SINCE_HELP = "une durée (24h, 7j) ou un jour (2026-11-23, 23/11/2026)"

_MONTHS = (
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
)
_WEEKDAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
# The way the digest writes its day (« lundi 23 novembre 2026 »), accents and weekday optional.
_WRITTEN = re.compile(rf"^(?:(?:{_WEEKDAYS})\s+)?(\d{{1,2}})(?:er)?\s+([a-z]+)\s+(\d{{4}})$")


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def parse_day(text: str) -> date:
    """A day written the ISO way, the French numeric way or in words; ValueError (in French) otherwise."""
    folded = _folded(text)
    try:
        if match := _NUMERIC.match(folded):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        if (match := _WRITTEN.match(folded)) and match.group(2) in _MONTHS:
            return date(int(match.group(3)), _MONTHS.index(match.group(2)) + 1, int(match.group(1)))
        return date.fromisoformat(folded)
    except ValueError:
        raise ValueError(f"date invalide « {text} » (formats acceptés : {DAY_FORMATS})") from None


def parse_since(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The moment `--since` names: `now` minus a duration, or the start of a day in `zone`."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        day = parse_day(text)
    except ValueError:
        raise ValueError(f"« {text} » n'est ni une durée ni une date (attendu : {SINCE_HELP})") from None
    return start_of_day(day, zone)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The midnight that ends `day`, in `zone`."""
    return start_of_day(day + timedelta(days=1), zone)
