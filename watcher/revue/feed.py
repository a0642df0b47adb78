"""The revue's Atom feed, built with feedgen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feedgen.feed import FeedGenerator

from watcher.revue.entry import RevueEntry

COLLECTIVE = "Action Patients"
FEED_TITLE = "Revue de presse — Action Patients"
FEED_SUBTITLE = (
    "Les articles qui citent le collectif interassociatif Action Patients, et ceux qu'il choisit de partager."
)
# Without a site address, the ids are tag URIs (RFC 4151): permanent, and independent of where the site is served.
TAG_PREFIX = "tag:actionpatients.example,2024:revue"  # PLACEHOLDER domain, as the digest sender; revue.site_url wins


def atom_feed(entries: Sequence[RevueEntry], *, now: datetime, site_url: str | None = None) -> str:
    """The feed of `entries` (newest first); updated at the newest entry, or at `now` when there is none."""
    base = site_url.rstrip("/") + "/" if site_url else None
    feed = FeedGenerator()
    feed.id(f"{base}feed.xml" if base else TAG_PREFIX)
    feed.title(FEED_TITLE)
    feed.subtitle(FEED_SUBTITLE)
    feed.author({"name": COLLECTIVE})
    feed.language("fr")
    feed.updated(max((entry.moment for entry in entries), default=now))
    if base:
        feed.link(href=base, rel="alternate", type="text/html")
        feed.link(href=f"{base}feed.xml", rel="self", type="application/atom+xml")
    for entry in entries:
        atom = feed.add_entry(order="append")
        atom.id(f"{base}{entry.month}.html#{entry.key}" if base else f"{TAG_PREFIX}:{entry.key}")
        atom.title(entry.title or f"Parution : {entry.outlet}")
        atom.published(entry.moment)
        atom.updated(entry.moment)
        if entry.url:
            atom.link(href=entry.url, rel="alternate", type="text/html")
        # A text content names the outlet and the date, so that an entry without a link (radio, paper) is whole.
        atom.content(f"{entry.outlet}, {entry.date_label} ({entry.medium}).", type="text")
        if entry.excerpt:
            atom.summary(f"« {entry.excerpt} »", type="text")
    return feed.atom_str(pretty=True).decode("utf-8")
