"""Feed bytes -> raw entries (RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and RDF; JSON Feed).

Well-formed UTF-8 feeds, most of the press, are read by fastfeedparser: parsing
was most of a collection cycle's time with feedparser alone (shared/notes/tech.md).
feedparser stays the reference for everything else (malformed XML, other or lying
charsets, RSS 1.0, Google News <source>, xml:base), and tests check that the two
read the corpus's press feeds alike.

A body that is not a feed (an HTML error page, a Cloudflare challenge, nothing
at all) raises `ParseError`: a broken source must show as broken, never as a
source with « 0 nouveaux articles ».
"""

from __future__ import annotations

import calendar
import json
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import fastfeedparser
import feedparser

from watcher.parse.errors import ParseError
from watcher.parse.xmlguard import refuse_entity_declarations

_HTML_START_RE = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body)", re.I | re.S)
_TITLE_RE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
_CLOUDFLARE_MARKERS = (b"cf-browser-verification", b"cf_chl_", b"Attention Required! | Cloudflare", b"cf-ray")
_XML_ENCODING_RE = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)", re.I)
_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.I)
_TTL_RE = re.compile(rb"<ttl>\s*(\d+)\s*</ttl>")
# Atom <content> and RSS <content:encoded>: without them, fastfeedparser copies the description into « content ».
_CONTENT_ELEMENT_RE = re.compile(rb"<(?:content:encoded|content|atom:content)[\s>]")
# What fastfeedparser misreads: <source> (the outlet behind a Google News link), xml:base, RSS 1.0 content.
_FEEDPARSER_ONLY_RE = re.compile(rb"<source[\s>]|xml:base=|<rdf:RDF")
_LANGUAGE_RE = re.compile(rb"<(?:dc:)?language>\s*([A-Za-z-]{2,12})\s*</")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})


@dataclass(frozen=True)
class RawEntry:
    """An entry as the source gave it, before normalisation."""

    guid: str | None
    link: str | None
    title: str
    summary_html: str = ""
    content_html: str = ""
    author: str | None = None
    published: datetime | None = None
    publisher: str | None = None  # the outlet behind an aggregator link (Google News <source>)
    publisher_site: str | None = None  # its site, as the aggregator gives it (<source url="…">)
    language: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    language: str | None
    entries: list[RawEntry] = field(default_factory=list)
    ttl_minutes: int | None = None
    warning: str | None = None  # the feed was recovered from malformed XML


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    if not body.strip():
        raise ParseError(f"réponse vide pour {url} (aucun flux reçu)")
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, url)
    if _HTML_START_RE.match(body[:2048]):
        raise ParseError(_html_instead_of_feed(body, url))
    refuse_entity_declarations(body, url)
    return parse_fast(body, url, content_type) or parse_with_feedparser(body, url, content_type)


def parse_with_feedparser(body: bytes, url: str, content_type: str) -> ParsedFeed:
    parsed = feedparser.parse(
        body,
        response_headers={"content-type": content_type or "application/xml", "content-location": url},
        resolve_relative_uris=True,
        sanitize_html=False,  # summaries are sanitised once, by normalize, with nh3
    )
    version = parsed.get("version")
    if not version:
        if _HTML_START_RE.search(body[:4096]) or b"<html" in body[:4096].lower():
            raise ParseError(_html_instead_of_feed(body, url))
        problem = parsed.get("bozo_exception")
        detail = f" ({problem})" if problem else ""
        raise ParseError(f"contenu illisible : ce n'est pas un flux RSS, Atom ou RDF{detail} pour {url}")
    warning = None
    problem = parsed.get("bozo_exception")
    if isinstance(problem, feedparser.CharacterEncodingOverride):
        # The Sénat's feeds are the classic case: the declared charset lies, feedparser found the real one.
        warning = f"encodage déclaré inexact : flux lu en {parsed.get('encoding')}"
    elif parsed.get("bozo"):
        warning = f"flux mal formé, récupéré en mode tolérant ({problem})"
    feed = parsed.feed
    language = feed.get("language")
    has_content = _CONTENT_ELEMENT_RE.search(body) is not None
    entries = [_entry(entry, language, has_content) for entry in parsed.entries]
    return ParsedFeed(
        title=feed.get("title", ""),
        language=language,
        entries=[entry for entry in entries if entry is not None],
        ttl_minutes=_int_or_none(feed.get("ttl")),
        warning=warning,
    )


def parse_fast(body: bytes, url: str, content_type: str) -> ParsedFeed | None:
    """The common case, well-formed UTF-8 XML, read by fastfeedparser (about 25× faster than feedparser).

    None sends the feed to feedparser, the reference: malformed XML (feedparser's tolerant mode and its
    « récupéré » warning), other or contradictory charsets (its encoding detection, the Sénat's lying
    ISO-8859-15), and anything the fast parser does not turn into entries.
    """
    if not _declares_only_utf8(body, content_type) or _FEEDPARSER_ONLY_RE.search(body):
        return None
    try:
        xml.parsers.expat.ParserCreate().Parse(body, True)
        parsed = fastfeedparser.parse(body, include_tags=False, include_media=False, include_enclosures=False)
    except Exception:  # any doubt about the document: the reference parser decides and explains
        return None
    declared_language = _LANGUAGE_RE.search(body)
    language = declared_language.group(1).decode("ascii") if declared_language else None
    has_content = _CONTENT_ELEMENT_RE.search(body) is not None
    entries = [_fast_entry(entry, language, has_content) for entry in parsed.entries]
    if not entries or not all(entry and _is_web_link(entry.link) and entry.title for entry in entries):
        return None  # relative links, missing titles: feedparser's fuller reading decides
    if b'isPermaLink="false"' not in body and any(
        entry and entry.guid and not _is_web_link(entry.guid) for entry in entries
    ):
        return None  # a relative permalink guid, which feedparser resolves against the feed's address
    ttl = _TTL_RE.search(body)
    return ParsedFeed(
        title=parsed.feed.get("title", "") or "",
        language=language,
        entries=[entry for entry in entries if entry is not None],
        ttl_minutes=int(ttl.group(1)) if ttl else None,
    )


def _is_web_link(link: str | None) -> bool:
    return bool(link) and str(link).startswith(("http://", "https://"))


def _declares_only_utf8(body: bytes, content_type: str) -> bool:
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16
    declared = _XML_ENCODING_RE.match(body[:512])
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8_NAMES:
        return False
    charset = _CHARSET_RE.search(content_type)
    return not charset or charset.group(1).lower() in _UTF8_NAMES


def _fast_entry(entry: Any, feed_language: str | None, has_content: bool) -> RawEntry | None:
    published = _iso_datetime(entry.get("published") or entry.get("updated"))
    return _raw_entry(entry, entry.get("description", ""), published, feed_language, has_content)


def _entry(entry: Any, feed_language: str | None, has_content: bool) -> RawEntry | None:
    published = _struct_to_datetime(
        entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("created_parsed")
    )
    language = (entry.get("summary_detail") or {}).get("language") or feed_language
    return _raw_entry(entry, entry.get("summary", ""), published, language, has_content)


def _raw_entry(
    entry: Any, summary: str | None, published: datetime | None, language: str | None, has_content: bool
) -> RawEntry | None:
    """An entry of either parser (both give dicts with `title`, `link`, `id`, `content`, `author`, `source`)."""
    title = entry.get("title", "") or ""
    link = entry.get("link")
    if not title and not link:
        return None
    content_html = ""
    # Without <content> in the feed, feedparser's « content » is an image caption (<media:description>)
    # and fastfeedparser's a copy of the description.
    if has_content and entry.get("content"):
        content_html = max((part.get("value", "") or "" for part in entry["content"]), key=len)
    summary_html = summary or ""
    if summary_html == content_html and len(content_html) > 600:
        summary_html = ""  # feeds that repeat the whole article in <description>
    source = entry.get("source") or {}
    return RawEntry(
        guid=entry.get("id") or None,
        link=link,
        title=title,
        summary_html=summary_html,
        content_html=content_html,
        author=entry.get("author") or None,
        published=published,
        publisher=source.get("title") or None,
        publisher_site=source.get("href") or None,
        language=language,
    )


def _struct_to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _looks_like_json(body: bytes, content_type: str) -> bool:
    return "json" in content_type.lower() or body.lstrip()[:1] == b"{"


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    # feedparser 6 has no JSON Feed support; the format is small enough to map directly.
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"JSON illisible pour {url} ({exc})") from None
    if not isinstance(document, dict) or "jsonfeed.org" not in str(document.get("version", "")):
        raise ParseError(f"ce JSON n'est pas un JSON Feed (jsonfeed.org) pour {url}")
    language = document.get("language")
    entries = []
    for item in document.get("items") or []:
        if not isinstance(item, dict):
            continue
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        entries.append(
            RawEntry(
                guid=str(item.get("id")) if item.get("id") is not None else None,
                link=item.get("url") or item.get("external_url"),
                title=str(item.get("title") or ""),
                summary_html=str(item.get("summary") or ""),
                content_html=str(item.get("content_html") or item.get("content_text") or ""),
                author=", ".join(a.get("name", "") for a in authors if isinstance(a, dict)) or None,
                published=_iso_datetime(item.get("date_published") or item.get("date_modified")),
                language=item.get("language") or language,
            )
        )
    return ParsedFeed(title=str(document.get("title", "")), language=language, entries=entries)


def _iso_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _html_instead_of_feed(body: bytes, url: str) -> str:
    head = body[:20_000]
    if any(marker in head for marker in _CLOUDFLARE_MARKERS):
        return f"page de protection anti-robots (Cloudflare) au lieu d'un flux pour {url}"
    title_match = _TITLE_RE.search(head)
    title = ""
    if title_match:
        title = re.sub(r"\s+", " ", title_match.group(1).decode("utf-8", "replace")).strip()
    shown = f" « {title[:80]} »" if title else ""
    return f"page HTML{shown} reçue au lieu d'un flux pour {url}"
