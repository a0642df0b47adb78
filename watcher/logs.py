"""The service's log: one French line per event, stamped with a 24-hour ISO time in the collective's zone.

    2026-12-05 07:30:02+01:00 info      synthèse du 05/12/2026 : 12 sujets, 48 articles ; Slack #veille : envoyée

Libraries speak English: APScheduler's lines are translated or, when they only narrate its bookkeeping
(« Added job … to job store »), left out; other libraries are heard from at warning level and above only.
An exception is one line (what failed and why); WATCHER_DEBUG=1 adds its traceback.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from watcher.failures import DEBUG_ENV_VAR, describe

LEVELS = {
    logging.DEBUG: "débogage",
    logging.INFO: "info",
    logging.WARNING: "attention",
    logging.ERROR: "erreur",
    logging.CRITICAL: "critique",
}
OUR_LOGGERS = ("watcher", "alerts", "store", "__main__")

# The service's APScheduler jobs, by their function's qualified name.
JOB_LABELS = {"Service.tick": "collecte", "Service.digest": "synthèse", "Service.deliver": "envoi des alertes"}

# APScheduler's messages (apscheduler 3.x, by their format string): a French one, or None to leave the line out.
_SCHEDULER_MESSAGES: dict[str, str | None] = {
    'Run time of job "%s" was missed by %s': "tâche « {0} » lancée avec {1} de retard",
    'Execution of job "%s" skipped: maximum number of running instances reached (%d)': (
        "tâche « {0} » sautée : la précédente n'est pas finie"
    ),
    'Job "%s" raised an exception': "tâche « {0} » en échec",
    "Error running job %s": "tâche « {0} » en échec",
    'Error submitting job "%s" to executor "%s"': "tâche « {0} » impossible à lancer",
    "Error getting due jobs from job store %r: %s": "planificateur : tâches à faire illisibles ({1})",
    "Error notifying listener": "planificateur : erreur interne",
    "Scheduler started": None,
    "Scheduler has been shut down": None,
    'Added job "%s" to job store "%s"': None,
    "Adding job tentatively -- it will be properly scheduled when the scheduler starts": None,
    'Running job "%s" (scheduled at %s)': None,
    'Job "%s" executed successfully': None,
    "Removed job %s": None,
    "Paused scheduler job processing": None,
    "Resumed scheduler job processing": None,
}


def _label(value: Any) -> str:
    """A job by its French name, a delay in seconds; anything else as text, never as a repr."""
    if isinstance(value, timedelta):
        return f"{value.total_seconds():.0f} s"
    name = getattr(value, "name", None)
    if isinstance(name, str) and hasattr(value, "trigger"):  # an APScheduler Job
        return JOB_LABELS.get(name, name)
    return str(value)


def _in_french(record: logging.LogRecord) -> bool:
    """Translate an APScheduler record in place; False when it should not be shown."""
    if not record.name.startswith("apscheduler"):
        return record.name.startswith(OUR_LOGGERS) or record.levelno >= logging.WARNING
    if not isinstance(record.msg, str) or record.msg not in _SCHEDULER_MESSAGES:
        # A message this version did not have: shown, prefixed, if it matters.
        record.msg = f"planificateur : {record.getMessage()}"
        record.args = None
        return record.levelno >= logging.WARNING
    french = _SCHEDULER_MESSAGES[record.msg]
    if french is None:
        return False
    args = record.args if isinstance(record.args, tuple) else ()
    record.msg, record.args = french.format(*(_label(arg) for arg in args)), None
    return True


_ONE_LINE = re.compile(r"\s*\n\s*")


class FrenchFormatter(logging.Formatter):
    def __init__(self, zone: ZoneInfo):
        super().__init__()
        self.zone = zone

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, self.zone).isoformat(sep=" ", timespec="seconds")
        level = LEVELS.get(record.levelno, record.levelname.lower())
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f" : {describe(record.exc_info[1])}"
        line = f"{stamp} {level:<9} {_ONE_LINE.sub(' ', message)}"
        if record.exc_info and os.environ.get(DEBUG_ENV_VAR) == "1":
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(zone: ZoneInfo, level: int = logging.INFO) -> None:
    """French lines on stderr for the whole process (the service and the worker processes it forks)."""
    handler = logging.StreamHandler()
    handler.setFormatter(FrenchFormatter(zone))
    handler.addFilter(_in_french)
    root = logging.getLogger()
    for previous in list(root.handlers):
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)
