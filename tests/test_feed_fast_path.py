"""The fast path (fastfeedparser) reads feeds as the reference path (feedparser) does, or steps aside."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import CORPUS_DIR
from watcher.normalize import normalize
from watcher.parse.feed import parse_fast, parse_feed, parse_with_feedparser

NOW = datetime(2026, 11, 23, tzinfo=UTC)
ITEM_FIELDS = ("url", "guid", "title", "summary", "content", "author", "published", "language", "content_hash")

CAPTIONED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>Le Quotidien du Soin</title><language>fr</language><ttl>30</ttl>
<item><title>Urgences de Laval : fermeture la nuit faute de m\xc3\xa9decins</title>
<link>https://exemple.invalid/laval</link><guid isPermaLink="false">laval-1</guid>
<description>Le service ferme de 20 h \xc3\xa0 8 h.</description>
<pubDate>Mon, 23 Nov 2026 07:00:00 +0100</pubDate>
<media:content url="https://exemple.invalid/photo.jpg">
<media:description>Photo d'illustration</media:description></media:content>
</item></channel></rss>"""


def _items(feed: object) -> list[tuple[object, ...]]:
    items = [normalize(entry, "s", NOW) for entry in feed.entries]  # type: ignore[attr-defined]
    return [tuple(getattr(item, name) for name in ITEM_FIELDS) if item else None for item in items]


def _corpus_feeds() -> list[Path]:
    press = sorted((CORPUS_DIR / "rss-fr-press-2025" / "feeds").glob("*.xml"))
    lemonde = sorted((CORPUS_DIR / "lemonde-rss-2022" / "raw").rglob("*.xml"))[::8]
    return press + lemonde


def test_fast_path_reads_the_press_corpus_like_feedparser() -> None:
    feeds = _corpus_feeds()
    if not feeds:
        pytest.skip(f"corpus partagé absent ({CORPUS_DIR})")
    fast_read = 0
    for path in feeds:
        body = path.read_bytes()
        fast = parse_fast(body, str(path), "application/rss+xml")
        if fast is None:
            continue
        fast_read += 1
        reference = parse_with_feedparser(body, str(path), "application/rss+xml")
        assert (fast.title, fast.language, fast.ttl_minutes) == (
            reference.title,
            reference.language,
            reference.ttl_minutes,
        ), path.name
        assert _items(fast) == _items(reference), path.name
    # The three broken press files (HTML pages) and the empty capture are the only ones left to feedparser.
    assert fast_read >= len(feeds) - 4


def test_image_caption_is_not_article_content_on_either_path() -> None:
    fast = parse_fast(CAPTIONED, "https://exemple.invalid/rss", "application/rss+xml")
    reference = parse_with_feedparser(CAPTIONED, "https://exemple.invalid/rss", "application/rss+xml")
    assert fast is not None
    for feed in (fast, reference):
        assert feed.entries[0].content_html == ""
        assert feed.entries[0].summary_html == "Le service ferme de 20 h à 8 h."
        assert feed.ttl_minutes == 30 and feed.language == "fr"
    assert _items(fast) == _items(reference)


@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        (CAPTIONED.replace(b"UTF-8", b"ISO-8859-15"), "application/rss+xml", "another declared charset"),
        (CAPTIONED, "application/rss+xml; charset=windows-1252", "the HTTP charset contradicts the XML"),
        (CAPTIONED.replace(b"</item>", b"</itm>"), "application/rss+xml", "malformed XML"),
        (CAPTIONED.replace(b"https://exemple.invalid/laval", b"/laval"), "", "a relative link"),
        (CAPTIONED.replace(b' isPermaLink="false"', b""), "", "a relative permalink guid"),
        (
            CAPTIONED.replace(b"<title>Urgences", b"<source url='https://x.invalid'>X</source><title>Urgences"),
            "",
            "a <source>",
        ),
    ],
)
def test_fast_path_steps_aside_for_what_feedparser_reads_better(body: bytes, content_type: str, why: str) -> None:
    assert parse_fast(body, "https://exemple.invalid/rss", content_type) is None, why
    assert parse_feed(body, "https://exemple.invalid/rss", content_type).entries  # feedparser still reads it


def test_malformed_feed_still_carries_the_tolerant_mode_warning() -> None:
    feed = parse_feed(CAPTIONED.replace(b"</item>", b"</itm>"), "https://exemple.invalid/rss", "application/rss+xml")
    assert feed.warning is not None and "mal formé" in feed.warning
