"""Web pages: article links of a listing page, and the text of an article (trafilatura)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import trafilatura
from courlan import extract_links
from courlan.filters import is_not_crawlable, type_filter

from watcher.parse.errors import ParseError
from watcher.parse.feed import RawEntry

MAX_LINKS_PER_PAGE = 30
_ARTICLE_MIN_CHARS = 200


def article_links(html: bytes | str, page_url: str) -> list[str]:
    """Links of a listing page that look like articles on the same site, in a stable order."""
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    if not text.strip():
        raise ParseError(f"page vide pour {page_url}")
    # courlan (trafilatura's URL library) resolves the links; its own host filter is skipped because it
    # refuses intranet and IP hosts, and its type filters then drop feeds, media, navigation and logins.
    links = extract_links(text, url=page_url, external_bool=False, no_filter=True)
    page = urlsplit(page_url)
    listing_path = page.path.rstrip("/")
    articles = [
        link
        for link in links
        if urlsplit(link).netloc == page.netloc
        and urlsplit(link).path.rstrip("/") not in ("", listing_path)
        and type_filter(link, strict=True)
        and not is_not_crawlable(link)
    ]
    return sorted(articles)[:MAX_LINKS_PER_PAGE]


def extract_article(html: bytes | str, url: str) -> RawEntry | None:
    """Title, date, author and main text of an article page; None when there is no article."""
    extracted = trafilatura.bare_extraction(html, url=url, include_comments=False, with_metadata=True, fast=True)
    if not extracted:
        return None
    document = extracted.as_dict()
    text = (document.get("text") or "").strip()
    title = (document.get("title") or "").strip()
    if not title or len(text) < _ARTICLE_MIN_CHARS:
        return None
    return RawEntry(
        guid=url,
        link=url,
        title=title,
        summary_html=document.get("description") or "",
        content_html=text,
        author=document.get("author") or None,
        published=_page_date(document.get("date")),
        language=document.get("language") or None,
    )


def extract_text(html: bytes | str, url: str) -> str | None:
    """The main text of an article page, for `full_text` sources."""
    text = trafilatura.extract(html, url=url, include_comments=False, fast=True)
    return text.strip() if text else None


def _page_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
