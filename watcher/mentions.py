"""« On parle de nous »: what an item that cites the collective puts into the press register."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from store import desk
from store.models import Item, MentionStatus, PressMention
from watcher.config import Config
from watcher.text import fold

_SENTENCE_RE = re.compile(r"[^.!?…]+(?:[.!?…]+[»\"”]?|$)")
QUOTE_MAX_CHARS = 400


@dataclass(frozen=True)
class Citation:
    quote: str | None
    spokespeople: list[str]


def _folded_words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", fold(text))) + " "


def find_citation(title: str, body: str, config: Config) -> Citation:
    """The first sentence of the text naming the collective or a spokesperson (else the title), and who is quoted."""
    collective = config.watchlist.collective
    names = [_folded_words(name) for name in collective.names]
    people = [(person.name, _folded_words(person.name)) for person in collective.spokespeople]
    quote = None
    for sentence in [*_SENTENCE_RE.findall(body), title]:
        words = _folded_words(sentence)
        if any(name in words for name in names) or any(folded in words for _, folded in people):
            quote = " ".join(sentence.split())
            break
    if quote and len(quote) > QUOTE_MAX_CHARS:
        quote = quote[: QUOTE_MAX_CHARS - 1].rstrip() + "…"
    everything = _folded_words(f"{title} {body}")
    return Citation(quote, [name for name, folded in people if folded in everything])


def register_item(
    session: Session, item: Item, outlet: str, config: Config, now: datetime
) -> tuple[PressMention, bool]:
    """Add an item that mentions the collective to the register, « à valider », at `now`; once per item."""
    citation = find_citation(item.title, f"{item.summary} {item.content or ''}", config)
    mention = PressMention(
        item_id=item.id,
        day=item.published_at.astimezone(config.digest.zone).date(),
        outlet=item.publisher or outlet,
        title=item.title,
        url=item.url,
        medium="web",
        quote=citation.quote,
        spokesperson=", ".join(citation.spokespeople) or None,
        status=MentionStatus.A_VALIDER,
        origin="auto",
        created_at=now,
    )
    return desk.add_mention(session, mention)
