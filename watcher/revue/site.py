"""`watcher revue build`: the static revue de presse — index.html, one page a month, feed.xml.

The content is the register's validated entries (« On parle de nous ») and the items marked « publier dans la
revue ». Each entry shows its title, outlet, date, link and at most a short quoted excerpt: never the article's
text. Everything is built from the store and the given `now` alone, so that the same store gives the same files,
byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import groupby
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine

from store import revue as store_revue
from store.db import session_scope
from store.models import DatePrecision, Item, PressMention
from watcher.desk import MEDIUM_LABELS
from watcher.exports import MONTHS
from watcher.normalize import html_to_text
from watcher.revue.entry import RevueEntry
from watcher.revue.feed import atom_feed

EXCERPT_MAX_CHARS = 200  # a quotation, not a reproduction of the article
INDEX_ENTRIES = 20  # the latest entries on the front page; the month pages hold them all
FEED_ENTRIES = 50
STYLESHEET = "revue.css"
MONTH_PAGE_RE = re.compile(r"^\d{4}-\d{2}\.html$")
_WEB_ADDRESS_RE = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


@dataclass(frozen=True)
class RevueMonth:
    key: str  # « 2026-11 »; its page is « 2026-11.html »
    label: str  # « novembre 2026 »
    entries: list[RevueEntry]

    @property
    def page(self) -> str:
        return f"{self.key}.html"


def excerpt(text: str | None, limit: int = EXCERPT_MAX_CHARS) -> str | None:
    """At most `limit` characters of plain text, cut between words: a short quotation, or None."""
    plain = html_to_text(text or "")
    if not plain:
        return None
    if len(plain) <= limit:
        return plain
    cut = plain[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.…")
    return f"{cut}…"


def web_address(url: str | None) -> str | None:
    """The address as a link target, or None when it is not a plain http(s) address (javascript:, data:…)."""
    url = (url or "").strip()
    return url if _WEB_ADDRESS_RE.match(url) else None


def _mention_entry(mention: PressMention, item: Item | None, zone: ZoneInfo) -> RevueEntry:
    published = item.published_at.astimezone(zone) if item is not None else None
    return RevueEntry(
        key=f"mention-{mention.id}",
        title=html_to_text(mention.title),
        outlet=html_to_text(mention.outlet),
        day=mention.day,
        month_only=mention.date_precision == DatePrecision.MONTH,
        moment=published
        if published and published.date() == mention.day
        else datetime.combine(mention.day, time(), tzinfo=zone),
        url=web_address(mention.url),
        excerpt=excerpt(mention.quote),
        medium=MEDIUM_LABELS.get(mention.medium, mention.medium),
    )


def _picked_entry(picked: store_revue.PickedItem, zone: ZoneInfo) -> RevueEntry:
    item = picked.item
    return RevueEntry(
        key=f"article-{item.id}",
        title=html_to_text(item.title),
        outlet=html_to_text(item.publisher or picked.source.name),
        day=item.published_at.astimezone(zone).date(),
        month_only=False,
        moment=item.published_at.astimezone(zone),
        url=web_address(item.url),
        excerpt=excerpt(item.summary),  # the feed's lead, cut short: never item.content, the article's text
        medium=MEDIUM_LABELS["web"],
    )


def gather(engine: Engine, zone: ZoneInfo, since: date | None = None) -> list[RevueEntry]:
    """The revue's entries dated `since` or later, newest first; an item both validated and marked comes once."""
    start = datetime.combine(since, time(), tzinfo=zone) if since is not None else None
    with session_scope(engine) as session:
        mentions = store_revue.validated_mentions(session, since)
        picked = store_revue.picked_items(session, start)
    registered = {mention.item_id for mention, _ in mentions if mention.item_id is not None}
    entries = [_mention_entry(mention, item, zone) for mention, item in mentions]
    entries += [_picked_entry(row, zone) for row in picked if row.item.id not in registered]
    return newest_first(entries)


def newest_first(entries: Iterable[RevueEntry]) -> list[RevueEntry]:
    # Every tie has a key, so that the same entries always come in the same order.
    return sorted(entries, key=lambda entry: (entry.day, entry.moment, entry.key), reverse=True)


def by_month(entries: Sequence[RevueEntry]) -> list[RevueMonth]:
    """Newest month first; `entries` newest first."""
    return [
        RevueMonth(key, f"{MONTHS[int(key[5:]) - 1]} {key[:4]}", list(group))
        for key, group in groupby(entries, key=lambda entry: entry.month)
    ]


_environment = Environment(
    loader=PackageLoader("watcher.revue", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default=True),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_site(
    entries: Sequence[RevueEntry], *, now: datetime, zone: ZoneInfo, site_url: str | None = None
) -> dict[str, str]:
    """File name → content of every file of the site; pure: the same entries and `now` give the same text."""
    months = by_month(entries)
    today = now.astimezone(zone).date()
    updated = f"{today.day if today.day > 1 else '1er'} {MONTHS[today.month - 1]} {today.year}"
    shared = {"months": months, "updated": updated, "stylesheet": STYLESHEET, "total": len(entries)}
    files = {
        "index.html": _environment.get_template("index.html").render(
            **shared, entries=entries[:INDEX_ENTRIES], current=None
        ),
        STYLESHEET: _environment.get_template(STYLESHEET).render(),
        "feed.xml": atom_feed(entries[:FEED_ENTRIES], now=now, site_url=site_url),
    }
    for month in months:
        files[month.page] = _environment.get_template("month.html").render(**shared, month=month, current=month.key)
    return files


def write_site(files: dict[str, str], out_dir: Path) -> list[Path]:
    """Write the files; month pages left from an earlier build that no longer have entries are removed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.iterdir():
        if MONTH_PAGE_RE.match(stale.name) and stale.name not in files:
            stale.unlink()
    written = []
    for name in sorted(files):
        path = out_dir / name
        path.write_text(files[name], encoding="utf-8")
        written.append(path)
    return written


def build_revue(
    engine: Engine,
    out_dir: Path,
    *,
    now: datetime,
    zone: ZoneInfo,
    since: date | None = None,
    site_url: str | None = None,
) -> list[Path]:
    """Build the revue de presse into `out_dir`; the files written, sorted by name."""
    entries = gather(engine, zone, since)
    return write_site(render_site(entries, now=now, zone=zone, site_url=site_url), out_dir)
