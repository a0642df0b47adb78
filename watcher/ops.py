"""The ops channel: one Slack message when the service stops working, one when it works again.

`watcher run` checks every minute what `watcher status` judges (no cycle finished in three
intervals, alerts waiting more than 30 minutes). A problem is raised in the database
(`store.ops`), so that it is told once, not on every check, and once whatever the
number of services: the one whose update raises it posts the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from alerts.slack import SlackSender, slack_error
from store import ops as notices
from store.db import session_scope
from watcher import status
from watcher.config import Config

log = logging.getLogger(__name__)

OPS_CHANNEL_KEY = "ops"  # alerts.channels.ops in sources.yaml
CHECK_SECONDS = 60
CLAIM = timedelta(minutes=2)
_RECOVERED = {
    status.CYCLES: "les cycles de collecte ont repris",
    status.ALERTS: "les alertes en attente sont parties",
}


def ops_channel(config: Config) -> str | None:
    return config.alerts.channels.get(OPS_CHANNEL_KEY)


@dataclass
class OpsReport:
    posted: list[str] = field(default_factory=list)  # the messages this check posted
    errors: list[str] = field(default_factory=list)


def check(engine: Engine, config: Config, sender: SlackSender, *, owner: str, now: datetime) -> OpsReport:
    """Raise, tell and clear the problems of the service as they are at `now`."""
    report = OpsReport()
    channel = ops_channel(config)
    if channel is None:
        return report
    current = {problem.kind: problem for problem in status.read(engine, config, now, slack=True).problems}
    for kind in (status.CYCLES, status.ALERTS):
        problem = current.get(kind)
        if problem is not None:
            with session_scope(engine) as session:
                notices.raise_notice(session, kind, problem.message, now)
            with session_scope(engine) as session:
                claimed = notices.claim_message(session, kind, owner, now, CLAIM)
            if claimed is None:
                continue  # told already, or being told by another service
            text = f":warning: Veille Action Patients : {claimed.detail}\nDétail : « watcher status »."
            if _post(sender, channel, text, f"ops-{kind}-{claimed.since:%Y%m%dT%H%M%S}", report):
                with session_scope(engine) as session:
                    notices.message_sent(session, kind, owner, now)
            else:
                with session_scope(engine) as session:
                    notices.message_failed(session, kind, owner)
            continue
        with session_scope(engine) as session:
            cleared = notices.clear_notice(session, kind, now)
        if cleared is not None and cleared.notified_at is not None and cleared.since is not None:
            text = (
                f":white_check_mark: Veille Action Patients : rétablie, {_RECOVERED[kind]} "
                f"(problème signalé il y a {status.duration(now - cleared.since)})."
            )
            _post(sender, channel, text, f"ops-{kind}-{cleared.since:%Y%m%dT%H%M%S}-fin", report)
    return report


def _post(sender: SlackSender, channel: str, text: str, key: str, report: OpsReport) -> bool:
    try:
        sender.post(sender.channel_id(channel), text, None, key)
    except Exception as exc:  # Slack down or misconfigured: the next check tries again
        message, _ = slack_error(exc)
        log.warning("message au canal ops %s impossible : %s", channel, message)
        report.errors.append(message)
        return False
    report.posted.append(text)
    log.info("canal ops %s : %s", channel, text)
    return True
