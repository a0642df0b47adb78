"""The coordinator's desk from the command line and in `watcher run`: tribunes and the press register."""

from __future__ import annotations

import logging
import os
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from alerts.slack import API_URL_ENV_VAR, TOKEN_ENV_VAR
from alerts.socket_listener import DeskListener
from store import desk, splits
from store.models import MentionStatus, PressMention, Tribune, TribuneStatus
from watcher.config import Config
from watcher.text import fold

log = logging.getLogger(__name__)

APP_TOKEN_ENV_VAR = "SLACK_APP_TOKEN"

TRIBUNE_LABELS = {
    TribuneStatus.A_ETUDIER: "à étudier",
    TribuneStatus.EN_REDACTION: "en rédaction",
    TribuneStatus.PUBLIEE: "publiée",
    TribuneStatus.ABANDONNEE: "abandonnée",
}
MENTION_LABELS = {
    MentionStatus.A_VALIDER: "à valider",
    MentionStatus.VALIDEE: "validée",
    MentionStatus.REJETEE: "rejetée",
}
# A tribune signed by the collective and its own communiqués belong to the register too: the annual report counts them.
MEDIUM_LABELS = {
    "presse": "presse écrite",
    "radio": "radio",
    "tv": "télévision",
    "web": "web",
    "tribune": "tribune",
    "communique": "communiqué",
}
ORIGIN_LABELS = {
    "auto": "détectée",
    "manuel": "ajoutée à la main",
    "tribune": "tribune du collectif",
    "import": "importée",
}


class DeskError(ValueError):
    """A desk command that cannot be done, phrased in French."""


def _code(text: str) -> str:
    return re.sub(r"[\s_-]+", "_", fold(text).strip())


def _status(text: str, labels: dict[Any, str], what: str) -> str:
    """« à étudier », « a etudier », « a_etudier » → a_etudier."""
    wanted = _code(text)
    for code in labels:
        if wanted == code.value:
            return code.value
    choices = ", ".join(f"« {label} »" for label in labels.values())
    raise DeskError(f"{what} inconnu « {text} » (attendu : {choices})")


def tribune_status(text: str) -> str:
    return _status(text, TRIBUNE_LABELS, "statut de tribune")


def mention_status(text: str) -> str:
    return _status(text, MENTION_LABELS, "statut")


def medium(text: str) -> str:
    wanted = _code(text)
    aliases = {"television": "tv", "presse_ecrite": "presse", "internet": "web", "communique_de_presse": "communique"}
    wanted = aliases.get(wanted, wanted)
    if wanted not in MEDIUM_LABELS:
        raise DeskError(f"type de média inconnu « {text} » (attendu : presse, radio, tv, web, tribune ou communiqué)")
    return wanted


def default_who() -> str:
    """Who acts from the command line: the system user."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "ligne de commande"


def flag(session: Session, item_id: int, *, note: str | None, who: str, now: datetime) -> tuple[Tribune, bool]:
    if desk.item_view(session, item_id) is None:
        raise DeskError(f"article {item_id} introuvable (voir « watcher items » ou « watcher search »)")
    return desk.flag_tribune(session, item_id=item_id, who=who, now=now, note=note)


def split_story(session: Session, item_id: int, *, who: str, now: datetime) -> splits.SplitDone:
    """« Pas le même sujet »: the item leaves its story for a new one of its own (`store.splits.split_item`).

    The CLI, the Slack button and the desk's article page all come here.
    """
    try:
        return splits.split_item(session, item_id, who=who, now=now)
    except splits.SplitRefused as refused:
        if refused.reason == "unknown":
            raise DeskError(f"article {item_id} introuvable (voir « watcher items » ou « watcher search »)") from None
        if refused.split is not None:
            raise DeskError(
                f"l'article {item_id} est déjà seul dans son sujet : {refused.split.who} l'a séparé "
                f"du sujet n° {refused.split.former_story_id}"
            ) from None
        raise DeskError(f"l'article {item_id} est seul dans son sujet : il n'y a rien à séparer") from None


def set_tribune(
    session: Session,
    item_id: int,
    config: Config,
    *,
    who: str,
    now: datetime,
    status: str | None = None,
    outlet: str | None = None,
    deadline: date | None = None,
    url: str | None = None,
    title: str | None = None,
    published_on: date | None = None,
) -> tuple[Tribune, PressMention | None]:
    """Update a tribune; a published one enters the press register (validated, origin « tribune »), dated
    `published_on` or else the day of `now` where the collective is."""
    tribune = desk.tribune_for(session, item_id)
    if tribune is None:
        raise DeskError(
            f"l'article {item_id} n'est pas dans la liste des tribunes (« watcher flag {item_id} --tribune »)"
        )
    if url is not None and not re.match(r"^https?://\S+$", url):
        raise DeskError(f"adresse invalide « {url} » (elle doit commencer par http:// ou https://)")
    desk.update_tribune(
        session, tribune, who=who, now=now, status=status, outlet=outlet, deadline=deadline, published_url=url
    )
    if tribune.status != TribuneStatus.PUBLIEE:
        return tribune, None
    if not tribune.outlet:
        raise DeskError("une tribune publiée doit indiquer son média : ajoutez --outlet")
    view = desk.item_view(session, item_id)
    day = published_on or now.astimezone(config.digest.zone).date()
    subject = view.item.title if view else ""
    mention, created = desk.add_mention(
        session,
        PressMention(
            tribune_id=tribune.id,
            day=day,
            outlet=tribune.outlet,
            title=title or f"Tribune du collectif : {subject}",
            url=tribune.published_url,
            medium="presse",
            status=MentionStatus.VALIDEE,
            origin="tribune",
            created_at=now,
        ),
    )
    if not created:  # published again with new details: the register follows
        mention.outlet = tribune.outlet
        mention.url = tribune.published_url or mention.url
        if published_on:
            mention.day = published_on
        if title:
            mention.title = title
        session.flush()
    return tribune, mention


def add_by_hand(session: Session, **fields: Any) -> PressMention:
    """An entry typed in by a person (paper press, radio, television, interview…), validated at once."""
    mention, _ = desk.add_mention(session, manual_entry(**fields))
    return mention


def manual_entry(
    *,
    day: date,
    outlet: str,
    title: str,
    who: str,
    url: str | None = None,
    medium_text: str = "presse",
    quote: str | None = None,
    spokesperson: str | None = None,
    now: datetime,
) -> PressMention:
    """The register entry a person typed in at `now`, checked (DeskError in French) before any database is opened."""
    outlet, title = outlet.strip(), title.strip()
    if not outlet:
        raise DeskError("indiquez le média (journal, radio, chaîne…)")
    if not title:
        raise DeskError("indiquez le titre de l'article ou de l'émission")
    kind = medium(medium_text)
    url = (url or "").strip() or None
    if url is not None and not re.match(r"^https?://\S+$", url):
        raise DeskError(f"adresse invalide « {url} » (elle doit commencer par http:// ou https://)")
    return PressMention(
        day=day,
        outlet=outlet,
        title=title,
        url=url,
        medium=kind,
        quote=(quote or "").strip() or None,
        spokesperson=(spokesperson or "").strip() or None,
        status=MentionStatus.VALIDEE,
        origin="manuel",
        created_at=now,
        decided_by=who,
        decided_at=now,
    )


def start_listener(engine: Engine, config: Config) -> DeskListener | None:
    """The Slack button listener of `watcher run`, when SLACK_APP_TOKEN is set."""
    app_token = os.environ.get(APP_TOKEN_ENV_VAR)
    if not app_token:
        return None
    bot_token = os.environ.get(TOKEN_ENV_VAR)
    if not bot_token:
        log.warning("%s est défini mais pas %s : boutons Slack désactivés", APP_TOKEN_ENV_VAR, TOKEN_ENV_VAR)
        return None
    listener = DeskListener(
        engine,
        app_token=app_token,
        bot_token=bot_token,
        base_url=os.environ.get(API_URL_ENV_VAR),
        zone=config.digest.zone,
    )
    listener.start()
    return listener
