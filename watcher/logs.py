"""The service's log: one French line per event, stamped with a 24-hour ISO time in the collective's zone.

    2026-12-05 07:30:02+01:00 info      synthèse du 05/12/2026 : 12 sujets, 48 articles ; Slack #veille : envoyée

Libraries speak English: APScheduler's lines are translated or, when they only narrate its bookkeeping
(« Added job … to job store »), left out. Other libraries are heard from only for an error, named as the
speaker; the text extractor not even then, since the pipeline says in French what it could not extract.
An exception is one line (what failed and why); WATCHER_DEBUG=1 adds its traceback.
"""

from __future__ import annotations

import logging
import os
import re
import sys
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
# trafilatura and the libraries it drives log every page they cannot read; the pipeline reports it itself.
SILENT_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "readability")

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
    """Whether a record is shown: ours always, a library's when it matters, APScheduler's when it says something."""
    if record.name.startswith(OUR_LOGGERS):
        return True
    if record.name.startswith(SILENT_LOGGERS):
        return False
    if not record.name.startswith("apscheduler"):
        return record.levelno >= logging.ERROR
    if isinstance(record.msg, str) and record.msg in _SCHEDULER_MESSAGES:
        return _SCHEDULER_MESSAGES[record.msg] is not None
    return record.levelno >= logging.WARNING  # a message this version did not have


def _message(record: logging.LogRecord) -> str:
    """The record's message in French: APScheduler's translated, another library's prefixed with its name."""
    if record.name.startswith(OUR_LOGGERS):
        return record.getMessage()
    if not record.name.startswith("apscheduler"):
        return f"{record.name.split('.')[0]} : {record.getMessage()}"
    french = _SCHEDULER_MESSAGES.get(record.msg) if isinstance(record.msg, str) else None
    if french is None:
        return f"planificateur : {record.getMessage()}"
    args = record.args if isinstance(record.args, tuple) else ()
    return french.format(*(_label(arg) for arg in args))


_ONE_LINE = re.compile(r"\s*\n\s*")


class FrenchFormatter(logging.Formatter):
    def __init__(self, zone: ZoneInfo):
        super().__init__()
        self.zone = zone

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, self.zone).isoformat(sep=" ", timespec="seconds")
        level = LEVELS.get(record.levelno, record.levelname.lower())
        message = _message(record)
        if record.exc_info and record.exc_info[1] is not None:
            message += f" : {describe(record.exc_info[1])}"
        line = f"{stamp} {level:<9} {_ONE_LINE.sub(' ', message)}"
        if record.exc_info and os.environ.get(DEBUG_ENV_VAR) == "1":
            line += "\n" + self.formatException(record.exc_info)
        return line


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a line is logged, as logging's own last-resort handler does."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(zone: ZoneInfo, level: int = logging.INFO) -> None:
    """French lines on stderr for the whole process (the service and the worker processes it forks)."""
    handler = _StderrHandler()
    handler.setFormatter(FrenchFormatter(zone))
    handler.addFilter(_in_french)
    root = logging.getLogger()
    for previous in [found for found in root.handlers if isinstance(found, _StderrHandler)]:
        root.removeHandler(previous)  # configured twice in one process (tests): one handler, not two
    root.addHandler(handler)
    root.setLevel(level)
