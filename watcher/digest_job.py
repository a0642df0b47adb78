"""Glue between the configuration and alerts: which window, which labels, where to write, whom to send to."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from alerts import email
from alerts.digest import CoverageSection, Digest, build_digest, digest_window, write_digest
from alerts.digest_delivery import DigestOutcome, DigestTargets, send_digest
from alerts.slack import SlackSender
from store import outbox, queries
from store.coverage import story_sightings
from store.db import session_scope
from store.health import source_health_rows
from store.models import utcnow
from watcher.config import Config, SourceCategory
from watcher.coverage import coverage_report, late_line, outlet_line
from watcher.failures import describe, os_reason
from watcher.health import HealthStatus, assess_all

log = logging.getLogger(__name__)

BROKEN = frozenset({HealthStatus.FAILING, HealthStatus.STALE, HealthStatus.DISABLED})
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def parliament_sources(config: Config) -> frozenset[str]:
    return frozenset(source.name for source in config.sources if source.category == SourceCategory.PARLEMENT)


COVERAGE_LINES = 5  # outlets to add, and late sources, shown each in the weekly digest


def coverage_section(session: Session, config: Config, start: datetime, end: datetime) -> CoverageSection | None:
    """The weekly digest's « Couverture »; None without an aggregator or social source to measure with."""
    report = coverage_report(config, story_sightings(session, start, end), start, end)
    if not report.measurable:
        return None
    outlets = [outlet_line(entry) for entry in report.outlets_to_add]
    late = [late_line(entry) for entry in report.late_sources]
    return CoverageSection(
        outlets[:COVERAGE_LINES],
        late[:COVERAGE_LINES],
        max(0, len(outlets) - COVERAGE_LINES),
        max(0, len(late) - COVERAGE_LINES),
    )


def produce_digest(
    engine: Engine,
    config: Config,
    *,
    day: date | None = None,
    window: tuple[datetime, datetime] | None = None,
    out_dir: Path | None = None,
    kind: str = "daily",
    now: datetime | None = None,
) -> tuple[Digest, list[Path]]:
    """Build the digest of `day` (its configured window) or of an explicit window, and write its files.

    A daily digest records the stories it contains, so the next ones label them « suite ». Its sources'
    health is assessed at `now` (by default, the wall clock).
    """
    settings = config.digest
    if window is None:
        if day is None:
            raise ValueError("a day or a window is required")
        length = settings.weekly_window if kind == "weekly" else settings.window
        window = digest_window(day, settings.time, settings.zone, length)
    labels = {key: topic.label for key, topic in config.topics.items()}
    now = now or utcnow()
    with session_scope(engine) as session:
        health = assess_all(source_health_rows(session, now), now, settings.zone)
        digest = build_digest(
            session,
            window[0],
            window[1],
            labels,
            settings.zone,
            parliament_sources=parliament_sources(config),
            kind=kind,
            broken_sources=[source for source in health if source.status in BROKEN],
            top=settings.top,
            coverage=coverage_section(session, config, *window) if kind == "weekly" else None,
        )
        if kind == "daily":
            outbox.record_digest_stories(session, digest.day, digest.story_ids)
    return digest, write_digest(digest, out_dir or settings.output_dir)


def digest_kinds(config: Config, day: date) -> list[str]:
    """The daily digest, plus the weekly one on the configured day."""
    weekly = config.digest.weekly and _WEEKDAYS[day.weekday()] == config.digest.weekly_day
    return ["daily", "weekly"] if weekly else ["daily"]


def collected_in_window(engine: Engine, config: Config, day: date, kind: str = "daily") -> bool:
    """Whether anything was collected in the digest's window; when not, the log says why there is no digest."""
    length = config.digest.weekly_window if kind == "weekly" else config.digest.window
    start, end = digest_window(day, config.digest.time, config.digest.zone, length)
    with session_scope(engine) as session:
        collected = queries.window_counts(session, start, end).collected
    if not collected:
        log.warning(
            "synthèse %s du %s non produite : aucun article collecté entre le %s et le %s (heure de Paris)",
            "hebdomadaire" if kind == "weekly" else "quotidienne",
            day.isoformat(),
            start.astimezone(config.digest.zone).strftime("%Y-%m-%d %H:%M"),
            end.astimezone(config.digest.zone).strftime("%Y-%m-%d %H:%M"),
        )
    return bool(collected)


def rebuild_revue(engine: Engine, config: Config, *, now: datetime | None = None) -> list[Path]:
    """After a digest, the public revue de presse is built again when `revue.output_dir` is set.

    A failure is logged in French and goes no further: the digest is out already, and the next one retries.
    """
    out_dir = config.revue.output_dir
    if out_dir is None:
        return []
    # Imported here: the revue's feed library (feedgen, lxml) and templates stay out of `watcher run` without a revue.
    from watcher.revue.site import build_revue

    try:
        files = build_revue(
            engine, out_dir, now=now or utcnow(), zone=config.digest.zone, site_url=config.revue.site_url
        )
    except Exception as exc:  # whatever it is (a full disk, a folder without rights), the service carries on
        reason = os_reason(exc) if isinstance(exc, OSError) else describe(exc)
        log.warning("revue de presse non reconstruite dans %s : %s", out_dir, reason)
        return []
    log.info("revue de presse reconstruite dans %s : %d fichiers", out_dir, len(files))
    return files


def send_digests(
    engine: Engine,
    config: Config,
    day: date,
    *,
    owner: str,
    slack: SlackSender | None,
    smtp: email.SmtpSettings | None,
    out_dir: Path | None = None,
    now: datetime | None = None,
) -> list[tuple[Digest, list[Path], list[DigestOutcome]]]:
    """Write and send the digests of `day`; each (day, kind, channel) goes out once whoever calls this.

    A window in which nothing was collected gets no digest: an empty e-mail would only say that the service
    was not running, which the log says instead (a fresh database started after the digest time, an outage).
    """
    targets = DigestTargets(config.digest.slack_channel, list(config.digest.recipients), config.digest.sender)
    results = []
    for kind in digest_kinds(config, day):
        if not collected_in_window(engine, config, day, kind):
            continue
        digest, files = produce_digest(engine, config, day=day, out_dir=out_dir, kind=kind, now=now)
        outcomes = send_digest(engine, digest, targets, owner=owner, slack=slack, smtp=smtp, now=now)
        results.append((digest, files, outcomes))
    return results
