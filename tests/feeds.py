"""Small feeds written by the tests themselves."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr


def rss(title: str, entries: list[dict[str, object]], encoding: str = "utf-8") -> bytes:
    """entries: dicts with title, link, and optional guid, description, published (aware datetime), and source:
    the (name, site URL) of the outlet behind an aggregator's link, as Google News gives it in <source url="…">."""
    items = []
    for entry in entries:
        parts = [f"<title>{escape(str(entry['title']))}</title>", f"<link>{escape(str(entry['link']))}</link>"]
        if "guid" in entry:
            parts.append(f'<guid isPermaLink="false">{escape(str(entry["guid"]))}</guid>')
        if "description" in entry:
            parts.append(f"<description>{escape(str(entry['description']))}</description>")
        published = entry.get("published")
        if isinstance(published, datetime):
            parts.append(f"<pubDate>{format_datetime(published)}</pubDate>")
        source = entry.get("source")
        if isinstance(source, tuple):
            name, site = source
            parts.append(f"<source url={quoteattr(str(site))}>{escape(str(name))}</source>")
        items.append(f"<item>{''.join(parts)}</item>")
    document = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<rss version="2.0"><channel><title>{escape(title)}</title><link>https://example.test/</link>'
        f"<language>fr</language>{''.join(items)}</channel></rss>"
    )
    return document.encode(encoding)
