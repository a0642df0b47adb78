"""Source health: is each source alive, and does it still publish at its usual rhythm?

A pure function of the stored state (`store.health.SourceHealthRow`) and the
current time. It feeds `watcher sources health`, the digest's « Sources en
panne » block and the weekly Slack message: a source that breaks or goes
silent must be seen within days, not discovered weeks later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from store.health import PublishedDay, SourceHealthRow
from store.models import Source
from store.queries import SourceSpec

RHYTHM_SPAN = timedelta(days=28)
MIN_ITEMS_FOR_RHYTHM = 5
# Silence is suspicious after this many usual gaps between two items, and never before two days.
STALE_GAPS = 4
MIN_STALE_SILENCE = timedelta(days=2)


class HealthStatus(StrEnum):
    OK = "ok"
    FAILING = "en_erreur"
    STALE = "silencieuse"
    DISABLED = "desactivee"
    PAUSED = "en_pause"
    NEW = "nouvelle"


STATUS_LABELS = {
    HealthStatus.OK: "en bonne santé",
    HealthStatus.FAILING: "en erreur",
    HealthStatus.STALE: "silencieuse",
    HealthStatus.DISABLED: "désactivée",
    HealthStatus.PAUSED: "en pause",
    HealthStatus.NEW: "jamais collectée",
}


@dataclass(frozen=True)
class SourceHealth:
    name: str
    url: str
    status: HealthStatus
    verdict: str  # one French sentence a volunteer can act on
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_errors: int
    items_per_week: float
    per_day: float | None  # the learned rhythm; None without enough history
    last_item_at: datetime | None

    @property
    def broken(self) -> bool:
        """Belongs in « Sources en panne »: failing, silent or disabled by the site."""
        return self.status in (HealthStatus.FAILING, HealthStatus.STALE, HealthStatus.DISABLED)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def rhythm(self) -> str:
        return rhythm_phrase(self.per_day) if self.per_day is not None else "rythme encore inconnu"


def rhythm_phrase(per_day: float) -> str:
    """« ~20 par jour », « ~3 par semaine », « ~2 par mois »."""
    if per_day >= 1:
        return f"~{round(per_day)} par jour"
    if per_day * 7 >= 1:
        return f"~{round(per_day * 7)} par semaine"
    return f"~{max(1, round(per_day * 30))} par mois"


def duration_phrase(delay: timedelta) -> str:
    """« 5 jours », « 1 jour », « 20 heures »."""
    days = delay.days
    if days >= 1:
        return f"{days} jour{'s' if days > 1 else ''}"
    hours = max(1, int(delay.total_seconds() // 3600))
    return f"{hours} heure{'s' if hours > 1 else ''}"


def learned_rate(days: list[PublishedDay], last_item_at: datetime | None) -> float | None:
    """Items per day over the four weeks before the last item (so a silence does not dilute the rhythm), by whole
    days: those from the day four weeks before the last item's to the last item's."""
    if last_item_at is None:
        return None
    first_day = (last_item_at - RHYTHM_SPAN).astimezone(UTC).date()
    window = [day for day in days if first_day <= day.day <= last_item_at.astimezone(UTC).date()]
    if sum(day.items for day in window) < MIN_ITEMS_FOR_RHYTHM:
        return None
    # A young source has not had four weeks yet: its rhythm is measured over its actual life.
    span = max(last_item_at - min(day.first_at for day in window), timedelta(days=1))
    return sum(day.items for day in window) / (span.total_seconds() / 86400)


def assess(row: SourceHealthRow, now: datetime, zone: ZoneInfo) -> SourceHealth:
    source = row.source
    per_day = learned_rate(row.days, row.last_item_at)
    if source.disabled_reason:
        since = source.disabled_at.astimezone(zone).strftime("%d/%m/%Y") if source.disabled_at else "?"
        status = HealthStatus.DISABLED
        verdict = (
            f"désactivée depuis le {since} : {source.disabled_reason} ; "
            f'réactiver avec « watcher sources enable "{source.name}" » ou en changeant son adresse'
        )
    elif not source.enabled:
        status, verdict = HealthStatus.PAUSED, "mise en pause dans la configuration (enabled: false)"
    elif source.consecutive_errors > 0:
        status = HealthStatus.FAILING
        tries = f"{source.consecutive_errors} échec{'s' if source.consecutive_errors > 1 else ''} de suite"
        if source.last_success_at is not None:
            since = f"dernier succès il y a {duration_phrase(now - source.last_success_at)}"
        else:
            since = "jamais collectée avec succès"
        verdict = f"{tries} ({since}) : {source.last_error}"
    elif source.last_success_at is None:
        status, verdict = HealthStatus.NEW, "pas encore collectée"
    elif row.last_item_at is not None and per_day is not None and _silent(now - row.last_item_at, per_day):
        status = HealthStatus.STALE
        verdict = (
            f"aucun article depuis {duration_phrase(now - row.last_item_at)} "
            f"alors que la source en publie {rhythm_phrase(per_day)}"
        )
    else:
        status = HealthStatus.OK
        verdict = f"en bonne santé ({rhythm_phrase(per_day)})" if per_day is not None else "en bonne santé"
    if source.last_warning and status in (HealthStatus.OK, HealthStatus.STALE):
        # The source works, but its last content left something out (links refused, feed repaired).
        verdict += f" ; attention : {source.last_warning}"
    return SourceHealth(
        name=source.name,
        url=source.url,
        status=status,
        verdict=verdict,
        last_success_at=source.last_success_at,
        last_error=source.last_error,
        last_error_at=source.last_error_at,
        consecutive_errors=source.consecutive_errors,
        items_per_week=float(row.week),
        per_day=per_day,
        last_item_at=row.last_item_at,
    )


def _silent(silence: timedelta, per_day: float) -> bool:
    usual_gap = timedelta(days=1 / per_day)
    return silence > max(usual_gap * STALE_GAPS, MIN_STALE_SILENCE)


def assess_all(rows: list[SourceHealthRow], now: datetime, zone: ZoneInfo) -> list[SourceHealth]:
    return [assess(row, now, zone) for row in rows]


def with_configured(rows: list[SourceHealthRow], specs: Sequence[SourceSpec]) -> list[SourceHealthRow]:
    """The stored rows, plus one for each configured source not stored yet (« jamais collectée »).

    The report reads the configuration beside the database and writes neither: the next collection
    stores the new sources and pauses those gone from the configuration.
    """
    stored = {row.source.name for row in rows}
    new = [
        SourceHealthRow(Source(name=s.name, kind=s.kind, url=s.url, interval_seconds=s.interval_seconds), None)
        for s in specs
        if s.name not in stored
    ]
    return sorted([*rows, *new], key=lambda row: row.source.name)
