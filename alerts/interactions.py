"""Clicks on the alert buttons: a Slack payload in, the store updated, the message's new look out.

The buttons of an alert (#4) carry the item id as `value`:
- `tribune` flags the item for an op-ed and opens a modal for an optional note;
- `pertinent` / `hors_sujet` record a verdict for each theme of the item (they feed `watcher rules stats`);
- `on_parle_de_nous` puts the item into the press register, validated;
- `pas_le_meme_sujet` (on alerts and follow-ups) splits the item out of its story: it forms a story of its own
  and never rejoins the one it left (`store.splits.split_item`); on an item already split it changes nothing.

Socket Mode retries an envelope it thinks was not acknowledged, so a click can arrive twice:
each click is stored once under a key made of who, what and Slack's `action_ts`, and a
repeated delivery changes nothing and updates nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from alerts.slack import SPLIT_ACTION_ID
from store import desk, splits
from store.verdicts import record_verdict

ACTIONS = ("tribune", "pertinent", "hors_sujet", "on_parle_de_nous", SPLIT_ACTION_ID)
STATE_BLOCK_ID = "veille_etat"
NOTE_CALLBACK_ID = "veille_tribune_note"
NOTE_BLOCK_ID = "note"
NOTE_ACTION_ID = "note"
NO_TOPIC = "aucun"  # verdict on an item that matched no theme (alerted for a mention only)
PARIS = ZoneInfo("Europe/Paris")

_VERDICT_LABELS = {"pertinent": "✅ Pertinent", "hors_sujet": "🚫 Hors sujet"}
_TRIBUNE_LABELS = {
    "a_etudier": "à étudier",
    "en_redaction": "en rédaction",
    "publiee": "publiée",
    "abandonnee": "abandonnée",
}
_MENTION_LABELS = {"a_valider": "à valider", "validee": "validée", "rejetee": "rejetée"}


@dataclass
class Outcome:
    """What to do in Slack after a payload was handled."""

    changed: bool = False
    update: dict[str, Any] | None = None  # chat.update arguments
    modal: dict[str, Any] | None = None  # views.open arguments
    problems: list[str] = field(default_factory=list)


def who_of(payload: dict[str, Any]) -> str:
    user = payload.get("user") or {}
    name = user.get("username") or user.get("name") or user.get("id") or "inconnu"
    return f"@{name}"


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d/%m %H:%M")


def handle(session: Session, payload: dict[str, Any], *, now: datetime, zone: ZoneInfo = PARIS) -> Outcome:
    """Apply a payload received at `now`."""
    kind = payload.get("type")
    if kind == "block_actions":
        return _block_actions(session, payload, now, zone)
    if kind == "view_submission" and (payload.get("view") or {}).get("callback_id") == NOTE_CALLBACK_ID:
        return _note_submitted(session, payload, now)
    return Outcome()


def _block_actions(session: Session, payload: dict[str, Any], now: datetime, zone: ZoneInfo) -> Outcome:
    who = who_of(payload)
    user_id = (payload.get("user") or {}).get("id") or who
    outcome = Outcome()
    touched: set[int] = set()
    for action in payload.get("actions") or []:
        action_id = action.get("action_id")
        if action_id not in ACTIONS:
            continue
        try:
            item_id = int(action.get("value", ""))
        except ValueError:
            outcome.problems.append(
                f"bouton « {action_id} » : identifiant d'article illisible « {action.get('value')} »"
            )
            continue
        view = desk.item_view(session, item_id)
        if view is None:
            outcome.problems.append(f"bouton « {action_id} » : article {item_id} introuvable")
            continue
        key = f"{user_id}:{action_id}:{action.get('action_ts') or payload.get('trigger_id')}"
        if not desk.record_click(session, key=key, item_id=item_id, action=action_id, who=who, now=now):
            continue  # the same click delivered again
        touched.add(item_id)
        outcome.changed |= _apply(session, action_id, view, who, now, zone)
        if action_id == "tribune":
            outcome.modal = _note_modal(session, payload, item_id)
    message, channel = payload.get("message") or {}, (payload.get("channel") or {}).get("id")
    if touched and message.get("ts") and channel:
        blocks = [block for block in message.get("blocks") or [] if block.get("block_id") != STATE_BLOCK_ID]
        for item_id in sorted(touched):
            blocks.append(state_block(session, item_id, zone))
        outcome.update = {
            "channel": channel,
            "ts": message["ts"],
            "blocks": blocks,
            "text": message.get("text") or "Alerte de veille",
        }
    return outcome


def _apply(session: Session, action_id: str, view: desk.ItemView, who: str, now: datetime, zone: ZoneInfo) -> bool:
    item_id = view.item.id or 0
    if action_id in _VERDICT_LABELS:
        topics = (view.score.topics if view.score else None) or [NO_TOPIC]
        changed = False
        for topic in topics:
            changed |= record_verdict(session, item_id=item_id, topic=topic, verdict=action_id, who=who, now=now)
        return changed
    if action_id == "tribune":
        return desk.flag_tribune(session, item_id=item_id, who=who, now=now)[1]
    if action_id == SPLIT_ACTION_ID:
        try:
            splits.split_item(session, item_id, who=who, now=now)
        except splits.SplitRefused:
            return False  # split already (another click, the desk, the command line): the state block says so
        return True
    return desk.mentions_us(session, view, who, zone, now=now)


def state_lines(session: Session, item_id: int, zone: ZoneInfo) -> list[str]:
    """The desk's state of an item, as shown under the alert."""
    lines: dict[str, str] = {}
    for verdict in desk.verdicts_of(session, item_id):  # one line per person: their latest word
        lines[f"verdict:{verdict.who}"] = (
            f"{_VERDICT_LABELS.get(verdict.verdict, verdict.verdict)} — par {verdict.who}, "
            f"{_when(verdict.created_at, zone)}"
        )
    result = list(lines.values())
    tribune = desk.tribune_for(session, item_id)
    if tribune is not None:
        line = (
            f"🖋️ Tribune {_TRIBUNE_LABELS.get(tribune.status, tribune.status)} — signalée par {tribune.flagged_by}, "
            f"{_when(tribune.flagged_at, zone)}"
        )
        # The flagger's own note on a tribune still « à étudier » is part of the flag, not news.
        moved_on = tribune.updated_by != tribune.flagged_by or tribune.status != "a_etudier"
        if tribune.updated_by and tribune.updated_at and moved_on:
            line += f" · modifiée par {tribune.updated_by}, {_when(tribune.updated_at, zone)}"
        result.append(line + (f" : « {tribune.note} »" if tribune.note else ""))
    split = splits.last_split(session, item_id)
    if split is not None:
        result.append(
            f"✂️ Pas le même sujet — séparé par {split.who}, {_when(split.split_at, zone)} : "
            f"sujet n° {split.new_story_id} à lui seul"
        )
    mention = desk.mention_for_item(session, item_id)
    if mention is not None:
        status = _MENTION_LABELS.get(mention.status, mention.status)
        by = f" — par {mention.decided_by}, {_when(mention.decided_at, zone)}" if mention.decided_at else ""
        result.append(f"📰 On parle de nous ({status}){by}")
    return result


def state_block(session: Session, item_id: int, zone: ZoneInfo = PARIS) -> dict[str, Any]:
    return state_block_of(state_lines(session, item_id, zone))


def state_block_of(lines: list[str]) -> dict[str, Any]:
    """The context block of an alert's state, from its lines (`state_lines`), read once by whoever has them."""
    lines = lines or ["Aucune action pour l'instant."]
    # A context block holds at most 10 elements; the last ones are the newest.
    return {
        "type": "context",
        "block_id": STATE_BLOCK_ID,
        "elements": [{"type": "mrkdwn", "text": line} for line in lines[-10:]],
    }


def _note_modal(session: Session, payload: dict[str, Any], item_id: int) -> dict[str, Any] | None:
    trigger_id = payload.get("trigger_id")
    if not trigger_id:
        return None
    tribune = desk.tribune_for(session, item_id)
    view = desk.item_view(session, item_id)
    title = view.item.title if view else ""
    note_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": NOTE_ACTION_ID,
        "multiline": True,
        "placeholder": {"type": "plain_text", "text": "Angle, média visé, qui s'en charge…"},
    }
    if tribune is not None and tribune.note:
        note_input["initial_value"] = tribune.note
    metadata = {
        "item_id": item_id,
        "channel": (payload.get("channel") or {}).get("id"),
        "ts": (payload.get("message") or {}).get("ts"),
    }
    return {
        "trigger_id": trigger_id,
        "view": {
            "type": "modal",
            "callback_id": NOTE_CALLBACK_ID,
            "private_metadata": json.dumps(metadata),
            "title": {"type": "plain_text", "text": "Idée de tribune"},
            "submit": {"type": "plain_text", "text": "Enregistrer"},
            "close": {"type": "plain_text", "text": "Plus tard"},
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title[:2900]}*"}},
                {
                    "type": "input",
                    "block_id": NOTE_BLOCK_ID,
                    "optional": True,
                    "label": {"type": "plain_text", "text": "Note (facultative)"},
                    "element": note_input,
                },
            ],
        },
    }


def _note_submitted(session: Session, payload: dict[str, Any], now: datetime) -> Outcome:
    view = payload.get("view") or {}
    try:
        item_id = int(json.loads(view.get("private_metadata") or "{}")["item_id"])
    except (ValueError, KeyError, TypeError):
        return Outcome(problems=["note de tribune : métadonnées du formulaire illisibles"])
    value = (((view.get("state") or {}).get("values") or {}).get(NOTE_BLOCK_ID) or {}).get(NOTE_ACTION_ID) or {}
    note = (value.get("value") or "").strip() or None
    if desk.item_view(session, item_id) is None:
        return Outcome(problems=[f"note de tribune : article {item_id} introuvable"])
    before = desk.tribune_for(session, item_id)
    old_note = before.note if before else None
    tribune, created = desk.flag_tribune(session, item_id=item_id, who=who_of(payload), now=now, note=note)
    return Outcome(changed=created or tribune.note != old_note)
