"""`watcher status`: is the service working? A pure judgement of what the store holds at a given moment.

Unhealthy (and `watcher status` exits 1, for a Docker HEALTHCHECK) when the work stops:
- no collection cycle has finished in three intervals while sources are overdue;
- alerts have waited more than 30 minutes, outside the quiet hours, while Slack is configured.
Failing sources and failed deliveries are told, not judged: a site that is down is not the service.
The same problems go to the ops channel (`watcher/ops.py`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from store.db import database_url, make_engine, redacted, schema_is_current, session_scope
from store.status import StatusSnapshot, WaitingDelivery, read_status
from watcher.config import Config
from watcher.wording import counted

STALLED_INTERVALS = 3
ALERT_WAIT = timedelta(minutes=30)
DEFAULT_INTERVAL = timedelta(minutes=30)
CYCLES, ALERTS = "cycles", "alertes"  # the kinds of problem, as the ops channel is told them

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_DECISIONS = (("alert", "alerte", "alertes"), ("digest", "pour la synthèse", "pour la synthèse"))


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str  # French, one line


@dataclass(frozen=True)
class ServiceStatus:
    snapshot: StatusSnapshot
    zone: ZoneInfo
    interval: timedelta  # the shortest collection interval: a cycle is due at least this often
    problems: list[Problem]
    next_digest: datetime
    weekly_next: bool
    slack: bool

    @property
    def healthy(self) -> bool:
        return not self.problems


def collection_interval(config: Config) -> timedelta:
    intervals = [source.interval for source in config.sources if source.enabled]
    return min(intervals, default=DEFAULT_INTERVAL)


def outside_quiet_hours(start: datetime, end: datetime, quiet: tuple[time, time] | None, zone: ZoneInfo) -> timedelta:
    """How much of [start, end] falls outside the daily quiet hours (when alerts wait on purpose)."""
    if end <= start:
        return timedelta(0)
    total = end - start
    if quiet is None:
        return total
    quiet_start, quiet_end = quiet
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date():
        opens = datetime.combine(day, quiet_start, tzinfo=zone)
        closes = datetime.combine(day if quiet_start < quiet_end else day + timedelta(days=1), quiet_end, tzinfo=zone)
        overlap = min(end, closes) - max(start, opens)
        if overlap > timedelta(0):
            total -= overlap
        day += timedelta(days=1)
    return total


def _waiting_since(delivery: WaitingDelivery) -> datetime:
    # A follow-up is queued ahead, for the moment it may go out: it waits from then, not from its creation.
    if delivery.attempts == 0 and delivery.next_attempt_at is not None:
        return max(delivery.created_at, delivery.next_attempt_at)
    return delivery.created_at


def next_digest(config: Config, now: datetime) -> tuple[datetime, bool]:
    """When the next daily digest goes out, and whether the weekly one goes with it."""
    digest = config.digest
    local = now.astimezone(digest.zone)
    moment = datetime.combine(local.date(), digest.time, tzinfo=digest.zone)
    if moment <= local:
        moment = datetime.combine(local.date() + timedelta(days=1), digest.time, tzinfo=digest.zone)
    weekly = digest.weekly and _WEEKDAYS[moment.weekday()] == digest.weekly_day
    return moment, weekly


def assess(snapshot: StatusSnapshot, config: Config, *, slack: bool) -> ServiceStatus:
    now = snapshot.now
    zone = config.digest.zone
    interval = collection_interval(config)
    problems: list[Problem] = []
    last_end = snapshot.last_cycle.finished_at if snapshot.last_cycle else None
    stalled = last_end is None or last_end < now - STALLED_INTERVALS * interval
    if stalled and snapshot.overdue:
        since = f"depuis {duration(now - last_end)}" if last_end else "jamais"
        problems.append(
            Problem(
                CYCLES,
                f"aucun cycle de collecte terminé {since} (attendu au moins toutes les {duration(interval)}) "
                f"alors que {counted(snapshot.overdue, 'source attend', 'sources attendent')} : "
                "le service est-il arrêté ou bloqué ?",
            )
        )
    quiet = config.alerts.quiet_hours
    hours = (quiet.start, quiet.end) if quiet else None
    late = [d for d in snapshot.waiting if outside_quiet_hours(_waiting_since(d), now, hours, zone) > ALERT_WAIT]
    if slack and late:
        oldest = min(_waiting_since(delivery) for delivery in late)
        problems.append(
            Problem(
                ALERTS,
                f"{counted(len(late), 'alerte attend', 'alertes attendent')} depuis plus de "
                f"{duration(ALERT_WAIT)} (la plus ancienne depuis {duration(now - oldest)}) : "
                "l'envoi vers Slack est-il en panne ?",
            )
        )
    moment, weekly = next_digest(config, now)
    return ServiceStatus(snapshot, zone, interval, problems, moment, weekly, slack)


def read(engine: Engine, config: Config, now: datetime, *, slack: bool) -> ServiceStatus:
    interval = collection_interval(config)
    with session_scope(engine) as session:
        snapshot = read_status(session, now, late=interval)
    return assess(snapshot, config, slack=slack)


class StatusUnavailable(Exception):
    """The database cannot tell the status; phrased in French."""


def readable_engine(url: str | None = None) -> Engine:
    """An engine on the configured database, checked to be there and current; nothing is created or migrated.

    For the commands that only read (`watcher status`, `watcher sources coverage`): the caller disposes of it.
    """
    url = url or database_url()
    shown = redacted(url)
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).is_file():  # connecting would create an empty one
        raise StatusUnavailable(f"base introuvable : {shown} (vérifiez WATCHER_DATABASE_URL)")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        # Worded as every other command words it (watcher/failures.py): what failed and what to check.
        from watcher.failures import database_failure

        raise StatusUnavailable(database_failure(exc, url)) from None
    if not schema_is_current(engine):
        engine.dispose()
        raise StatusUnavailable(f"base vide ou d'une version antérieure : {shown} ; lancez « watcher db upgrade »")
    return engine


def database_status(config: Config, now: datetime, url: str | None = None) -> ServiceStatus:
    """The status read from the configured database, which is neither created, migrated nor written to."""
    from alerts.slack import TOKEN_ENV_VAR

    engine = readable_engine(url)
    try:
        return read(engine, config, now, slack=bool(os.environ.get(TOKEN_ENV_VAR)))
    finally:
        engine.dispose()


# --- French rendering ------------------------------------------------------


def duration(delay: timedelta) -> str:
    """« 12,3 s », « 45 min », « 2 h 05 min », « 3 j 4 h »."""
    seconds = delay.total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s".replace(".", ",")
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} j {hours} h" if hours else f"{days} j"


def _moment(when: datetime, zone: ZoneInfo, today: date) -> str:
    local = when.astimezone(zone)
    if local.date() == today:
        return f"aujourd'hui à {local:%H:%M}"
    return f"le {local:%d/%m/%Y à %H:%M}"


def render(status: ServiceStatus) -> list[str]:
    snapshot, zone = status.snapshot, status.zone
    now = snapshot.now.astimezone(zone)
    today = now.date()
    lines = [f"État de la veille au {now:%d/%m/%Y à %H:%M} ({zone.key})"]

    last = snapshot.last_cycle
    if last is None or last.finished_at is None:
        lines.append("Dernier cycle de collecte : aucun n'est encore terminé")
    else:
        ago, took = duration(snapshot.now - last.finished_at), duration(last.finished_at - last.started_at)
        new = counted(last.new_items, "nouvel article", "nouveaux articles")
        lines.append(
            f"Dernier cycle de collecte : terminé {_moment(last.finished_at, zone, today)} (il y a {ago}), "
            f"en {took} : {counted(last.sources, 'source', 'sources')}, {new}, {last.errors} en erreur"
        )
    for cycle in snapshot.running:
        lines.append(
            f"Cycle non terminé : commencé {_moment(cycle.started_at, zone, today)} "
            f"(il y a {duration(snapshot.now - cycle.started_at)}) par {cycle.owner}"
        )

    lines.append(
        f"Sources en erreur : {len(snapshot.failing)} sur {counted(snapshot.active_sources, 'active', 'actives')}"
    )
    for source in snapshot.failing:
        tries = counted(source.consecutive_errors, "échec de suite", "échecs de suite")
        lines.append(f"  - {source.name} : {tries} — {source.last_error or 'erreur inconnue'}")
    if snapshot.disabled:
        lines.append(f"Sources désactivées par leur site : {len(snapshot.disabled)}")
        for source in snapshot.disabled:
            lines.append(f"  - {source.name} : {source.disabled_reason}")

    items = snapshot.items_24h
    parts = [counted(items.get(key, 0), one, many) for key, one, many in _DECISIONS]
    parts.append(counted(items.get("drop", 0), "écarté", "écartés"))
    if items.get("unscored"):
        parts.append(f"{items['unscored']} pas encore évalués")
    lines.append(f"Articles des dernières 24 h : {sum(items.values())} ({', '.join(parts)})")

    waiting = snapshot.waiting
    alerts = f"Alertes en attente d'envoi : {len(waiting)}"
    if waiting:
        oldest = min(_waiting_since(delivery) for delivery in waiting)
        alerts += f" (la plus ancienne depuis {duration(max(snapshot.now - oldest, timedelta(0)))})"
        if not status.slack:
            alerts += ", Slack n'étant pas configuré (SLACK_BOT_TOKEN)"
    lines.append(f"{alerts} ; en échec définitif : {snapshot.failed_deliveries}")

    weekday = _WEEKDAYS[status.next_digest.weekday()]
    upcoming = f"Prochaine synthèse : {weekday} {status.next_digest:%d/%m/%Y à %H:%M}"
    if status.weekly_next:
        upcoming += " (avec la synthèse de la semaine)"
    if snapshot.last_digest is not None and snapshot.last_digest.sent_at is not None:
        upcoming += f" ; dernière envoyée {_moment(snapshot.last_digest.sent_at, zone, today)}"
    if snapshot.failed_digests:
        upcoming += f" ; {counted(snapshot.failed_digests, 'envoi en échec', 'envois en échec')}"
    lines.append(upcoming)

    if status.healthy:
        lines.append("État : en bonne santé")
    else:
        lines.append("État : PROBLÈME")
        lines.extend(f"  - {problem.message}" for problem in status.problems)
    return lines
