"""Google News links: the publisher's own URL, where it can be read from the link itself.

A Google News item links to `news.google.com/rss/articles/<id>`. For years the id was
the URL-safe base64 of a small protocol buffer whose field 4 is the article's URL
(and field 26, when present, its AMP page): `CBMi…` is the base64 of its first bytes
(field 1 = 19, then field 4's tag). Reading it back gives the URL the outlet's own
feed lists, so the two items are one. Since 2024 most ids carry an opaque token
instead (field 4 begins with `AU_yqL`), which only a request to Google can turn
into the URL: those links are kept as they are, and no request is made.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlsplit

GOOGLE_NEWS_HOST = "news.google.com"
_ARTICLE_PATH = re.compile(r"^/(?:__i/rss/rd/)?(?:rss/)?(?:articles|read)/([A-Za-z0-9_-]{8,})/?$")
_URL_FIELD = 4
_MAX_BYTES = 8192


def publisher_url(link: str) -> str | None:
    """The article's URL inside a Google News link, or None when the link carries none that can be read offline."""
    parts = urlsplit(link)
    if parts.hostname != GOOGLE_NEWS_HOST:
        return None
    match = _ARTICLE_PATH.match(parts.path)
    if match is None:
        return None
    token = match.group(1)
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    fields = _message_fields(data)
    if fields is None or _URL_FIELD not in fields:
        return None
    try:
        url = fields[_URL_FIELD].decode("utf-8")
    except UnicodeDecodeError:
        return None
    target = urlsplit(url)
    if target.scheme not in ("http", "https") or not target.hostname or any(c.isspace() for c in url):
        return None  # an opaque token (AU_yqL…) or something else than a URL
    if target.hostname == GOOGLE_NEWS_HOST:
        return None
    return url


def _varint(data: bytes, at: int) -> tuple[int, int] | None:
    value = shift = 0
    while at < len(data) and shift < 64:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7
    return None


def _message_fields(data: bytes) -> dict[int, bytes] | None:
    """The length-delimited fields of a protocol buffer message; None unless the whole of it reads exactly."""
    if not data or len(data) > _MAX_BYTES:
        return None
    fields: dict[int, bytes] = {}
    at = 0
    while at < len(data):
        key = _varint(data, at)
        if key is None:
            return None
        tag, at = key
        number, wire = tag >> 3, tag & 7
        if number == 0:
            return None
        if wire == 0:
            value = _varint(data, at)
            if value is None:
                return None
            at = value[1]
        elif wire == 2:
            length = _varint(data, at)
            if length is None or length[1] + length[0] > len(data):
                return None
            size, at = length
            fields.setdefault(number, data[at : at + size])
            at += size
        elif wire in (1, 5):
            at += 8 if wire == 1 else 4
            if at > len(data):
                return None
        else:
            return None
    return fields
