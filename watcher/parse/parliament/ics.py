"""The AN agenda in iCalendar (`agendas/ics`): one agenda entry per VEVENT (RFC 5545, the few fields we need)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from w3lib.url import add_or_replace_parameter

from watcher.parse.errors import ParseError
from watcher.parse.parliament.models import PARIS, Chamber, ParliamentEntry, ParliamentFields, ParliamentKind, clean

AN_AGENDA = "https://www2.assemblee-nationale.fr/agendas/ics"  # for a file read from disk


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]  # a folded continuation line
        elif line:
            lines.append(line)
    return lines


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def _moment(value: str, params: dict[str, str]) -> datetime | date | None:
    try:
        if len(value) == 8:
            return datetime.strptime(value, "%Y%m%d").date()
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        zone = PARIS
        if "TZID" in params:
            try:
                zone = ZoneInfo(params["TZID"])
            except (ZoneInfoNotFoundError, ValueError):
                zone = PARIS
        return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    except ValueError:
        return None


def parse_agenda(body: bytes, origin: str, chamber: Chamber = Chamber.AN) -> list[ParliamentEntry]:
    text = body.decode("utf-8-sig", errors="replace")
    if "BEGIN:VCALENDAR" not in text[:500]:
        raise ParseError(f"{origin} : ce n'est pas un agenda iCalendar (BEGIN:VCALENDAR absent)")
    entries: list[ParliamentEntry] = []
    event: dict[str, tuple[str, dict[str, str]]] | None = None
    for line in _unfold(text):
        name_part, _, value = line.partition(":")
        name, *raw_params = name_part.split(";")
        params = dict(param.split("=", 1) for param in raw_params if "=" in param)
        name = name.upper()
        if name == "BEGIN" and value.upper() == "VEVENT":
            event = {}
        elif name == "END" and value.upper() == "VEVENT" and event is not None:
            entry = _event(event, origin, chamber)
            if entry is not None:
                entries.append(entry)
            event = None
        elif event is not None:
            event[name] = (value, params)
    return entries


def _event_url(origin: str, uid: str) -> str:
    """One URL per event: canonical URLs drop fragments, so a query parameter tells the events apart."""
    return add_or_replace_parameter(origin if origin.startswith("http") else AN_AGENDA, "evenement", uid)


def _event(event: dict[str, tuple[str, dict[str, str]]], origin: str, chamber: Chamber) -> ParliamentEntry | None:
    summary = clean(_unescape(event.get("SUMMARY", ("", {}))[0]))
    if not summary:
        return None
    start = _moment(*event["DTSTART"]) if "DTSTART" in event else None
    published = start if isinstance(start, datetime) else None
    day = start.astimezone(PARIS).date() if isinstance(start, datetime) else start
    url = clean(event.get("URL", ("", {}))[0])
    uid = clean(event.get("UID", ("", {}))[0]) or f"{summary}|{day}"
    location = clean(_unescape(event.get("LOCATION", ("", {}))[0]))
    description = _unescape(event.get("DESCRIPTION", ("", {}))[0])
    when = published.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if published else (day.isoformat() if day else "")
    title = summary + (f" — {when}" if when else "")
    return ParliamentEntry(
        guid=uid,
        link=url or _event_url(origin, uid),
        title=title,
        summary_html=" ".join(part for part in (location, description) if part),
        published=published,
        language="fr",
        parliament=ParliamentFields(kind=ParliamentKind.AGENDA, chamber=chamber, date=day),
    )
