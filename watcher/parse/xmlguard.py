"""Refuse XML that declares entities before any parser sees it.

Feeds never need an internal DTD subset with `<!ENTITY …>`; it is how the
« billion laughs » (exponential entity expansion) and XXE (external entities
reading local files or URLs) attacks work. expat 2.4+ stops the first and
feedparser does not resolve external entities, but feedparser then retries
with its tolerant parser, which costs seconds and tens of megabytes on a
billion-laughs body. Refusing up front is cheap and says clearly what happened.
"""

from __future__ import annotations

import re

from watcher.parse.errors import ParseError

# Entity declarations can only sit in the prolog, before the root element; a feed's prolog is short,
# but comments may pad it, so the search covers a generous head of the document.
_PROLOG_BYTES = 64 * 1024
_DOCTYPE_SUBSET_RE = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.I | re.S)
_ENTITY_RE = re.compile(rb"<!ENTITY", re.I)


def _ascii_view(head: bytes) -> bytes:
    # UTF-16/32 feeds interleave NUL bytes; dropping them exposes the markup to the byte patterns.
    return head.replace(b"\x00", b"") if b"\x00" in head[:200] else head


def refuse_entity_declarations(body: bytes, url: str) -> None:
    head = _ascii_view(body[:_PROLOG_BYTES])
    match = _DOCTYPE_SUBSET_RE.search(head)
    if match and _ENTITY_RE.search(match.group(1)):
        raise ParseError(
            f"flux refusé : il déclare des entités XML (<!ENTITY>), procédé des attaques « billion laughs » "
            f"et XXE, pour {url}"
        )
    if _ENTITY_RE.search(head) and b"<!DOCTYPE" in head.upper():
        # An unterminated internal subset is still a declaration attempt.
        raise ParseError(f"flux refusé : déclaration d'entités XML (<!ENTITY>) dans le DOCTYPE pour {url}")
