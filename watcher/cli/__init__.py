"""The `watcher` command: a thin French layer over the library functions.

watcher/cli/base.py holds the application and what every command group shares; each other module is one command
group and imports only base. Importing a group registers its commands on `app`, in the order of the imports below:
the order `watcher --help` lists them in.
"""

# isort: off
from watcher.cli import run, preview, delivery, items, status, demo, sources, db  # noqa: F401
from watcher.cli import archive, desk, observatory, revue, stories, users, web  # noqa: F401

# isort: on
from watcher.cli.base import app, main

__all__ = ["app", "main"]
