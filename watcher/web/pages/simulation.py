"""« Simulation »: one theme's terms and exclusions, or the thresholds, changed on a form; the stored items of the
last N days that would change decision (watcher/whatif.py), before anything is saved; the YAML to copy.

The desk never writes sources.yaml: the person copies the snippet into it. The page is for the coordination and
the admins, who tune the rules: a run judges up to DESK_MAX_DAYS days of archive twice, work that a reading
account has no reason to start on the shared server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from store.models import Role
from watcher.config import Config, TopicConfig, french_validation_error
from watcher.score import DECISION_LABELS
from watcher.text import tokenize
from watcher.web import security
from watcher.web.page import Desk, render
from watcher.whatif import CHANGE_LABELS, Change, what_if

DESK_MAX_DAYS = 90  # the answer comes within the request: a longer window is `watcher preview --archive`'s
DEFAULT_DAYS = 30


class FormError(Exception):
    """What is wrong with the form, in French, naming the field and the line."""


@dataclass(frozen=True)
class Proposal:
    """What the form asks: the other configuration, the window, and the YAML that says the change."""

    topic: str
    other: Config
    days: int
    snippet: str
    changed: bool  # anything differs from the running configuration


def terms_lines(terms: dict[str, int]) -> str:
    return "\n".join(f"{term} = {weight}" for term, weight in terms.items())


def parse_terms(text: str) -> dict[str, int]:
    """« terme = poids » lines; blank lines are skipped, everything else must be right."""
    terms: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        term, equals, weight_text = line.rpartition("=")
        term, weight_text = term.strip(), weight_text.strip()
        if not equals:
            raise FormError(
                f"Termes, ligne {number} : « {line.strip()} » — écrivez « terme = poids » (ex. urgences = 45)"
            )
        if not term:
            raise FormError(f"Termes, ligne {number} : terme vide devant « = {weight_text} »")
        if not tokenize(term):
            raise FormError(f"Termes, ligne {number} : « {term} » ne contient aucun mot")
        try:
            weight = int(weight_text)
        except ValueError:
            raise FormError(
                f"Termes, ligne {number} : poids invalide « {weight_text} » pour « {term} » "
                "(nombre entier de -100 à 100)"
            ) from None
        if not -100 <= weight <= 100:
            raise FormError(f"Termes, ligne {number} : poids {weight} hors limites pour « {term} » (de -100 à 100)")
        if term in terms:
            raise FormError(f"Termes, ligne {number} : « {term} » figure deux fois")
        terms[term] = weight
    if not terms:
        raise FormError("Termes : aucun terme ; il en faut au moins un de poids positif")
    return terms


def parse_exclusions(text: str) -> list[str]:
    exclusions = []
    for number, line in enumerate(text.splitlines(), start=1):
        phrase = line.strip()
        if not phrase:
            continue
        if not tokenize(phrase):
            raise FormError(f"Exclusions, ligne {number} : « {phrase} » ne contient aucun mot")
        exclusions.append(phrase)
    return exclusions


def _whole_number(text: str, label: str, low: int, high: int) -> int:
    if not text.strip():
        raise FormError(f"{label} : à remplir (nombre entier de {low} à {high})")
    try:
        value = int(text.strip())
    except ValueError:
        raise FormError(f"{label} : nombre entier attendu, reçu « {text.strip()} »") from None
    if not low <= value <= high:
        raise FormError(f"{label} : {value} hors limites (de {low} à {high})")
    return value


def proposal(running: Config, form: dict[str, str]) -> Proposal:
    """The other configuration the form describes, checked field by field."""
    key = form.get("theme", "")
    if key not in running.topics:
        raise FormError(f"Thème inconnu « {key} » (thèmes : {', '.join(running.topics)})")
    days = _whole_number(form.get("jours", ""), "Nombre de jours", 1, DESK_MAX_DAYS)
    digest = _whole_number(form.get("seuil_synthese", ""), "Seuil de la synthèse", 0, 100)
    alert = _whole_number(form.get("seuil_alerte", ""), "Seuil d'alerte", 0, 100)
    if digest > alert:
        raise FormError(f"Le seuil de la synthèse ({digest}) dépasse le seuil d'alerte ({alert})")
    current = running.topics[key]
    terms = parse_terms(form.get("termes", ""))
    exclusions = parse_exclusions(form.get("exclusions", ""))
    try:
        topic = TopicConfig.model_validate({**current.model_dump(), "terms": terms, "exclude": exclusions})
    except ValidationError as exc:
        raise FormError(f"Thème « {key} » : {french_validation_error(exc.errors()[0])}") from None
    alerts = running.alerts.model_copy(update={"digest_threshold": digest, "alert_threshold": alert})
    other = running.model_copy(update={"topics": {**running.topics, key: topic}, "alerts": alerts})
    snippet: dict[str, Any] = {}
    topic_changes: dict[str, Any] = {}
    if terms != current.terms:
        topic_changes["terms"] = terms
    if exclusions != current.exclude:
        topic_changes["exclude"] = exclusions
    if topic_changes:
        snippet["topics"] = {key: topic_changes}
    alert_changes = {
        name: value
        for name, value in (("digest_threshold", digest), ("alert_threshold", alert))
        if value != getattr(running.alerts, name)
    }
    if alert_changes:
        snippet["alerts"] = alert_changes
    text = yaml.safe_dump(snippet, allow_unicode=True, sort_keys=False, default_flow_style=False) if snippet else ""
    return Proposal(key, other, days, text, bool(snippet))


def _form_values(running: Config, topic: str, days: int) -> dict[str, str]:
    current = running.topics[topic]
    return {
        "theme": topic,
        "termes": terms_lines(current.terms),
        "exclusions": "\n".join(current.exclude),
        "seuil_synthese": str(running.alerts.digest_threshold),
        "seuil_alerte": str(running.alerts.alert_threshold),
        "jours": str(days),
    }


def _page(request: Request, values: dict[str, str], status: int = 200, **context: Any) -> Response:
    desk_: Desk = request.app.state.desk
    topics = {key: topic.label for key, topic in desk_.config.topics.items()}
    return render(
        request,
        "simulation.html",
        status=status,
        values=values,
        topics=topics,
        max_days=DESK_MAX_DAYS,
        change_labels=CHANGE_LABELS,
        changes=list(Change),
        decision_labels=DECISION_LABELS,
        **context,
    )


def simulation(request: Request) -> Response:
    security.require(request, Role.COORDINATION)
    desk_: Desk = request.app.state.desk
    topic = request.query_params.get("theme") or next(iter(desk_.config.topics))
    if topic not in desk_.config.topics:
        values = _form_values(desk_.config, next(iter(desk_.config.topics)), DEFAULT_DAYS)
        return _page(request, values, 400, error=f"Thème inconnu « {topic} »")
    return _page(request, _form_values(desk_.config, topic, DEFAULT_DAYS))


async def simulate(request: Request) -> Response:
    _, form = await security.acting_form(request)
    desk_: Desk = request.app.state.desk
    values = {key: value for key, value in security.text_fields(form).items() if key != security.CSRF_FIELD}
    try:
        asked = proposal(desk_.config, values)
    except FormError as exc:
        return _page(request, values, 400, error=str(exc))
    result = await run_in_threadpool(what_if, desk_.engine, desk_.config, asked.other, now=desk_.now(), days=asked.days)
    return _page(request, values, result=result, proposal=asked)


routes = [
    Route("/simulation", simulation, methods=["GET"]),
    Route("/simulation", simulate, methods=["POST"]),
]
