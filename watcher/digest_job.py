"""Glue between the configuration and alerts: which window, which labels, where to write, whom to send to."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from alerts import email
from alerts.digest import Digest, build_digest, digest_window, write_digest
from alerts.digest_delivery import DigestOutcome, DigestTargets, send_digest
from alerts.slack import SlackSender
from store import outbox
from store.db import session_scope
from store.health import source_health_rows
from store.models import utcnow
from watcher.config import Config, SourceCategory
from watcher.health import HealthStatus, assess_all

BROKEN = frozenset({HealthStatus.FAILING, HealthStatus.STALE, HealthStatus.DISABLED})
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def parliament_sources(config: Config) -> frozenset[str]:
    return frozenset(source.name for source in config.sources if source.category == SourceCategory.PARLEMENT)


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
        )
        if kind == "daily":
            outbox.record_digest_stories(session, digest.day, digest.story_ids)
    return digest, write_digest(digest, out_dir or settings.output_dir)


def digest_kinds(config: Config, day: date) -> list[str]:
    """The daily digest, plus the weekly one on the configured day."""
    weekly = config.digest.weekly and _WEEKDAYS[day.weekday()] == config.digest.weekly_day
    return ["daily", "weekly"] if weekly else ["daily"]


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
    """Write and send the digests of `day`; each (day, kind, channel) goes out once whoever calls this."""
    targets = DigestTargets(config.digest.slack_channel, list(config.digest.recipients), config.digest.sender)
    results = []
    for kind in digest_kinds(config, day):
        digest, files = produce_digest(engine, config, day=day, out_dir=out_dir, kind=kind, now=now)
        outcomes = send_digest(engine, digest, targets, owner=owner, slack=slack, smtp=smtp, now=now)
        results.append((digest, files, outcomes))
    return results
