"""Raw entries -> `Item`: canonical URL, plain-text summary, trustworthy dates."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import nh3
from w3lib.url import canonicalize_url, url_query_cleaner

from watcher.gnews import GOOGLE_NEWS_HOST, publisher_url
from watcher.parse.feed import RawEntry
from watcher.text import fold

# Query parameters that only say where a click came from.
_TRACKING_PREFIXES = ("utm_", "xtor", "at_", "pk_", "mtm_")
_TRACKING_NAMES = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ocid", "cmp"})
_EARLIEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)
_FUTURE_TOLERANCE = timedelta(hours=2)
_SUMMARY_MAX_CHARS = 1200
# What the sanitiser would change in a text without tags: markup, entities, NUL and a leading BOM.
_MARKUP_OR_ODD_RE = re.compile("[<&\x00]|^\ufeff")
# Opening and closing: valid HTML may leave <p> and <li> unclosed.
_BLOCK_TAG_RE = re.compile(r"(?i)<\s*/?\s*(?:br|p|div|li|ul|ol|h\d|td|th|tr|blockquote|section|article)\b[^>]*>")

_FRENCH_MARKERS = frozenset("le la les des du une est et dans pour sur avec qui que pas au aux".split())
_ENGLISH_MARKERS = frozenset("the and of to is in for with that on are by from this was".split())


@dataclass(frozen=True)
class Item:
    """One article, post or parliamentary document, as every later stage sees it."""

    source: str
    url: str
    guid: str
    title: str
    summary: str
    published: datetime
    collected_at: datetime
    content_hash: str  # of what the source said, so later enrichment is not mistaken for an edit
    published_estimated: bool = False
    content: str | None = None
    author: str | None = None
    publisher: str | None = None
    publisher_site: str | None = None  # the outlet's site named by the aggregator (Google News <source url>)
    language: str | None = None

    @cached_property
    def title_date_key(self) -> str:
        day = "" if self.published_estimated else self.published.date().isoformat()
        return hashlib.sha1(f"{fold(self.title)}|{day}".encode()).hexdigest()

    @property
    def outlet(self) -> str:
        return self.publisher or self.source

    def with_content(self, content: str) -> Item:
        return replace(self, content=content)


@lru_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    """The URL stripped of tracking and fragments, with scheme and host normalised."""
    # Cached: a guid is often the link itself, and a changed feed lists again the links of the last cycle.
    url = url.strip()
    parts = urlsplit(url)
    tracking = [
        name
        for name, _ in parse_qsl(parts.query, keep_blank_values=True)
        if name.lower().startswith(_TRACKING_PREFIXES) or name.lower() in _TRACKING_NAMES
    ]
    if tracking:
        url = url_query_cleaner(url, tracking, remove=True, unique=False, keep_fragments=True)
    url = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, parts.query, ""))


def html_to_text(fragment: str) -> str:
    """Feed HTML -> one line of plain text; scripts, styles and markup are dropped."""
    if not fragment:
        return ""
    if not _MARKUP_OR_ODD_RE.search(fragment):
        return _one_line(fragment)  # plain text already, as most titles are
    # Block ends become spaces so that « <p>a</p><p>b</p> » does not read « ab ».
    spaced = _BLOCK_TAG_RE.sub(" ", fragment)
    cleaned = nh3.clean(spaced, tags=set(), attributes={}, strip_comments=True)
    return _one_line(html.unescape(cleaned))


def _one_line(text: str) -> str:
    # Runs of whitespace as one space, none at the ends; split() rather than a regex substitution, which
    # rebuilt the string at every single space (17 µs a lead, 3 by split()).
    return " ".join(text.split())


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"


def plausible_date(published: datetime | None, collected_at: datetime) -> tuple[datetime, bool]:
    """The publication date, or first-seen when the feed's date is absent, absurd or in the future."""
    if published is None or published < _EARLIEST_PLAUSIBLE or published > collected_at + _FUTURE_TOLERANCE:
        return collected_at, True
    return published.astimezone(UTC), False


def guess_language(text: str, declared: str | None) -> str | None:
    if declared:
        return declared.split("-")[0].split("_")[0].lower()
    words = [fold(word) for word in re.findall(r"[^\W\d_]+", text.lower())[:200]]
    french = sum(word in _FRENCH_MARKERS for word in words)
    english = sum(word in _ENGLISH_MARKERS for word in words)
    if french == english == 0:
        return None
    return "fr" if french >= english else "en"


def _strip_publisher_suffix(title: str, publisher: str | None) -> str:
    # Google News appends « - Le Monde » to every title.
    if publisher and title.endswith(f" - {publisher}"):
        return title[: -len(publisher) - 3].rstrip()
    return title


def normalize(entry: RawEntry, source: str, collected_at: datetime) -> Item | None:
    """Build an Item; None without a usable link, or without a title and any text to make one from."""
    link = (entry.link or "").strip()
    if not link.startswith(("http://", "https://")):
        guid_link = (entry.guid or "").strip()
        link = guid_link if guid_link.startswith(("http://", "https://")) else ""
    # Posts (Mastodon, JSON Feed) often have no title: their first words stand in for it.
    title = html_to_text(entry.title) or _shorten(html_to_text(entry.summary_html or entry.content_html), 120)
    if not link or not title:
        return None
    url = canonical_url(link)
    is_aggregated = urlsplit(url).hostname == GOOGLE_NEWS_HOST
    if is_aggregated:
        # The outlet's own URL where the link carries it: the item is then one with the outlet's feed's.
        url = canonical_url(publisher_url(link) or link)
    publisher = entry.publisher if is_aggregated else None
    site = (entry.publisher_site or "").strip() if is_aggregated else ""
    title = _strip_publisher_suffix(title, publisher)
    summary = "" if is_aggregated else html_to_text(entry.summary_html)
    content = html_to_text(entry.content_html) or None
    if not summary and content:
        summary = content
    published, estimated = plausible_date(entry.published, collected_at)
    summary = _shorten(summary, _SUMMARY_MAX_CHARS)
    guid = (entry.guid or "").strip()
    guid = canonical_url(guid) if guid.startswith(("http://", "https://")) else guid or url
    return Item(
        source=source,
        url=url,
        guid=guid,
        title=title,
        summary=summary,
        content=content,
        author=html_to_text(entry.author or "") or None,
        publisher=publisher,
        publisher_site=site if site.startswith(("http://", "https://")) else None,
        published=published,
        published_estimated=estimated,
        language=guess_language(f"{title} {summary}", entry.language),
        collected_at=collected_at,
        content_hash=hashlib.sha1(f"{title}\x1f{summary}\x1f{content or ''}".encode()).hexdigest(),
    )
