"""The container files: every worker gets the Slack and e-mail variables, and its health is `watcher status`."""

from __future__ import annotations

import re

import yaml

from alerts.email import SMTP_URL_ENV_VAR
from alerts.slack import API_URL_ENV_VAR, TOKEN_ENV_VAR
from tests.conftest import REPO_ROOT
from watcher.desk import APP_TOKEN_ENV_VAR
from watcher.netguard import ALLOW_ENV_VAR

PASSED_THROUGH = (TOKEN_ENV_VAR, APP_TOKEN_ENV_VAR, API_URL_ENV_VAR, SMTP_URL_ENV_VAR, ALLOW_ENV_VAR)


def test_compose_passes_the_slack_and_smtp_variables_to_every_worker() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    workers = {name: service for name, service in compose["services"].items() if "build" in service}
    assert len(workers) >= 2
    for name, service in workers.items():
        environment = service["environment"]
        for variable in PASSED_THROUGH:
            assert variable in environment, f"{name} : {variable}"
            assert environment[variable] is None, f"{name} : {variable} must come from the shell, not the file"


def test_the_image_health_is_watcher_status() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^HEALTHCHECK .*CMD \["watcher", "status"\]$', dockerfile, re.MULTILINE)
