"""Glue between the configuration and the alert dispatcher (alerts.dispatch)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from alerts.dispatch import DispatchSettings, PassReport, deliver_pending
from alerts.slack import SlackSender
from watcher.config import Config


def dispatch_settings(config: Config, owner: str) -> DispatchSettings:
    quiet = config.alerts.quiet_hours
    return DispatchSettings(
        zone=config.digest.zone,
        topic_labels={key: topic.label for key, topic in config.topics.items()},
        quiet_hours=(quiet.start, quiet.end) if quiet else None,
        owner=owner,
    )


def deliver(
    engine: Engine, config: Config, sender: SlackSender, *, owner: str, now: datetime | None = None
) -> PassReport:
    return deliver_pending(engine, sender, dispatch_settings(config, owner), now=now)


def configured_channels(config: Config) -> list[str]:
    """Every Slack channel alerts or digests may go to, once each."""
    channels = list(dict.fromkeys(config.alerts.channels.values()))
    if config.digest.slack_channel and config.digest.slack_channel not in channels:
        channels.append(config.digest.slack_channel)
    return channels
