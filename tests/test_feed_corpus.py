"""Real feed bodies from the shared corpus, fetched over HTTP from the local server, parsed and normalised.

Every file goes through the same path as in production: `Fetcher.get` -> `parse_feed(body, url, content_type)`
-> `normalize`.
"""

from __future__ import annotations

import asyncio
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import feedparser
import pytest

from tests.conftest import CORPUS_DIR
from tests.localserver import Answer, LocalServer
from watcher.fetch import Fetcher
from watcher.netguard import NetworkPolicy
from watcher.normalize import Item, normalize
from watcher.parse.errors import ParseError
from watcher.parse.feed import ParsedFeed, parse_feed

PRESS_DIR = "rss-fr-press-2025"
BROKEN_PRESS_FEEDS = {
    "bfmtv-strasbourg.xml": "page HTML",  # HTML « Page introuvable » served for a feed URL
    "flux-rss.xml": "page HTML",  # the BFMTV home page
    "le-figaro-etudiant.xml": "Cloudflare",  # « Attention Required! » challenge
}
PRESS_TOTAL_ENTRIES = 1603  # corpus README
PRESS_CAPTURED_AT = datetime(2025, 2, 10, 23, 0, tzinfo=UTC)  # the capture day, evening


# --------------------------------------------------------------------------- helpers


def fetch_and_parse(server: LocalServer, path: str, body: bytes, content_type: str = "application/xml") -> ParsedFeed:
    """Serve `body` at `path`, fetch it with the real Fetcher and parse what came back."""
    url = server.route(path, Answer(body, headers={"Content-Type": content_type}))

    async def run() -> ParsedFeed:
        async with Fetcher(deadline_seconds=10, policy=NetworkPolicy.for_urls([url])) as fetcher:
            result = await fetcher.get(url)
        assert result.status == 200
        assert result.body == body, "the fetcher altered the body"
        return parse_feed(result.body, result.url, result.content_type)

    return asyncio.run(run())


def tracking_left(url: str) -> list[str]:
    parts = urlsplit(url)
    names = [name.lower() for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    left = [name for name in names if name.startswith("utm_") or name == "xtor"]
    if "xtor" in parts.fragment:
        left.append(f"#{parts.fragment}")
    return left


# --------------------------------------------------------------------------- rss-fr-press-2025


@dataclass
class PressFetch:
    urls: dict[str, str]
    outcomes: dict[str, ParsedFeed | ParseError]
    manifest: dict[str, dict[str, object]]


@pytest.fixture(scope="module")
def press(corpus: Path) -> Iterator[PressFetch]:
    """All 71 press feeds, served by one local server and fetched concurrently by one Fetcher."""
    folder = corpus / PRESS_DIR
    manifest = {Path(str(entry["file"])).name: entry for entry in json.loads((folder / "manifest.json").read_text())}
    files = sorted((folder / "feeds").glob("*.xml"))
    with LocalServer() as local:
        urls = {file.name: local.route(f"/press/{file.name}", file.read_bytes()) for file in files}

        async def one(fetcher: Fetcher, name: str) -> tuple[str, ParsedFeed | ParseError]:
            result = await fetcher.get(urls[name])
            try:
                return name, parse_feed(result.body, result.url, result.content_type)
            except ParseError as exc:
                return name, exc

        async def run() -> dict[str, ParsedFeed | ParseError]:
            async with Fetcher(deadline_seconds=15, policy=NetworkPolicy.for_urls(urls.values())) as fetcher:
                return dict(await asyncio.gather(*(one(fetcher, name) for name in urls)))

        outcomes = asyncio.run(run())
    yield PressFetch(urls, outcomes, manifest)


def test_press_corpus_has_the_documented_shape(press: PressFetch) -> None:
    assert len(press.outcomes) == 71
    assert set(press.manifest) == set(press.outcomes)


def test_press_feeds_68_parse_with_entries_and_3_broken_raise(press: PressFetch) -> None:
    parsed = {name: outcome for name, outcome in press.outcomes.items() if isinstance(outcome, ParsedFeed)}
    failed = {name: outcome for name, outcome in press.outcomes.items() if isinstance(outcome, ParseError)}
    assert set(failed) == set(BROKEN_PRESS_FEEDS), {name: str(exc) for name, exc in failed.items()}
    assert len(parsed) == 68
    empty = [name for name, feed in parsed.items() if not feed.entries]
    assert empty == []


@pytest.mark.parametrize("name", sorted(BROKEN_PRESS_FEEDS))
def test_broken_press_feed_error_is_french_and_names_the_url(press: PressFetch, name: str) -> None:
    outcome = press.outcomes[name]
    assert isinstance(outcome, ParseError), f"{name} parsed as a feed with {len(outcome.entries)} entries"
    message = str(outcome)
    assert BROKEN_PRESS_FEEDS[name] in message
    assert press.urls[name] in message
    assert "au lieu d'un flux" in message


def test_broken_html_pages_are_named_by_their_title(press: PressFetch) -> None:
    assert "Page introuvable" in str(press.outcomes["bfmtv-strasbourg.xml"])
    assert "BFMTV" in str(press.outcomes["flux-rss.xml"])
    assert "Cloudflare" not in str(press.outcomes["flux-rss.xml"])


def test_press_entry_counts_match_the_manifest(press: PressFetch) -> None:
    wrong = {}
    total = 0
    for name, outcome in press.outcomes.items():
        if isinstance(outcome, ParseError):
            assert press.manifest[name]["items"] == 0
            continue
        total += len(outcome.entries)
        if len(outcome.entries) != press.manifest[name]["items"]:
            wrong[name] = (len(outcome.entries), press.manifest[name]["items"])
    assert wrong == {}
    assert total == PRESS_TOTAL_ENTRIES


def test_press_feeds_parse_without_tolerant_mode_warning(press: PressFetch) -> None:
    warned = {name: outcome.warning for name, outcome in press.outcomes.items() if isinstance(outcome, ParsedFeed)}
    assert {name: warning for name, warning in warned.items() if warning} == {}


@pytest.fixture(scope="module")
def press_items(press: PressFetch) -> dict[str, list[Item | None]]:
    return {
        name: [normalize(entry, "src", PRESS_CAPTURED_AT) for entry in outcome.entries]
        for name, outcome in press.outcomes.items()
        if isinstance(outcome, ParsedFeed)
    }


def test_every_press_entry_normalises_to_a_clean_item(press_items: dict[str, list[Item | None]]) -> None:
    problems = []
    count = 0
    for name, items in press_items.items():
        for index, item in enumerate(items):
            if item is None:
                problems.append((name, index, "normalize returned None"))
                continue
            count += 1
            if not item.title.strip():
                problems.append((name, index, "empty title"))
            if urlsplit(item.url).scheme not in ("http", "https") or not urlsplit(item.url).hostname:
                problems.append((name, index, item.url))
            if tracking_left(item.url) or tracking_left(item.guid):
                problems.append((name, index, item.url, item.guid))
            for moment in (item.published, item.collected_at):
                if moment.tzinfo is None or moment.utcoffset() is None:
                    problems.append((name, index, "naive datetime", moment))
            if "<" in item.title and ">" in item.title:
                problems.append((name, index, "markup left in title", item.title))
    assert problems == []
    assert count == PRESS_TOTAL_ENTRIES


def test_press_dates_are_the_feeds_own(press_items: dict[str, list[Item | None]]) -> None:
    items = [item for items in press_items.values() for item in items if item is not None]
    estimated = [item.url for item in items if item.published_estimated]
    # Every press feed dates its items; a handful of estimated dates would mean dates are being lost.
    assert len(estimated) <= len(items) // 100, estimated[:10]


def test_franceinfo_two_digit_years_and_xtor_fragments(press: PressFetch, press_items: dict) -> None:
    feed = press.outcomes["france-info-les-titres.xml"]
    assert isinstance(feed, ParsedFeed)
    raw_links = [entry.link or "" for entry in feed.entries]
    assert any("#xtor=RSS-3-[lestitres]" in link for link in raw_links), "the corpus quirk is no longer exercised"
    items = [item for item in press_items["france-info-les-titres.xml"] if item is not None]
    assert items
    for item in items:
        assert "#" not in item.url and "xtor" not in item.url
        assert "xtor" not in item.guid
        assert item.published.year == 2025  # « Mon, 10 Feb 25 12:40:04 +0100 »
        assert not item.published_estimated


def test_numeric_entities_are_decoded_in_titles(press_items: dict[str, list[Item | None]]) -> None:
    titles = [item.title for items in press_items.values() for item in items if item is not None]
    assert not [title for title in titles if re.search(r"&#x?[0-9a-f]+;|&[a-z]+;", title, re.I)]
    assert not [title for title in titles if "Ã©" in title or "Ã¨" in title]
    assert sum("é" in title for title in titles) > 100


# --------------------------------------------------------------------------- lemonde-rss-2022


def test_empty_lemonde_capture_is_a_parse_error(corpus: Path, server: LocalServer) -> None:
    body = (corpus / "lemonde-rss-2022" / "edge-cases" / "empty-2022-07-05-une.xml").read_bytes()
    assert body == b""
    with pytest.raises(ParseError) as caught:
        fetch_and_parse(server, "/lemonde/une.xml", body)
    assert "réponse vide" in str(caught.value)
    assert server.url("/lemonde/une.xml") in str(caught.value)


# --------------------------------------------------------------------------- feedparser-tests


FEEDPARSER_SAMPLE = {  # folder -> keep every Nth file (sorted) among those where feedparser finds entries
    "wellformed/rss": 2,
    "wellformed/atom10": 3,
    "wellformed/atom": 3,  # Atom 0.3, as the Sénat still serves it
    "wellformed/rdf": 1,
    "illformed/chardet": 1,
}
_HEADER_RE = re.compile(r"Description:\s*(?P<description>.*?)\s*Expect:\s*(?P<expect>.*?)\s*-->", re.S)


def _feedparser_reference(body: bytes) -> feedparser.FeedParserDict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return feedparser.parse(body)


def _titled_or_linked(reference: feedparser.FeedParserDict) -> list[feedparser.FeedParserDict]:
    return [entry for entry in reference.entries if entry.get("title") or entry.get("link")]


def _feedparser_sample() -> list[str]:
    root = CORPUS_DIR / "feedparser-tests"
    chosen: list[str] = []
    for folder, step in FEEDPARSER_SAMPLE.items():
        files = [
            path
            for path in sorted((root / folder).glob("*.xml"))
            if _titled_or_linked(_feedparser_reference(path.read_bytes()))
        ]
        chosen += [str(path.relative_to(root)) for path in files[::step]]
    return chosen


FEEDPARSER_FILES = _feedparser_sample() if (CORPUS_DIR / "feedparser-tests").is_dir() else []


def test_feedparser_sample_is_about_forty_files(corpus: Path) -> None:
    assert 35 <= len(FEEDPARSER_FILES) <= 50
    assert {name.rsplit("/", 1)[0] for name in FEEDPARSER_FILES} == set(FEEDPARSER_SAMPLE)


@pytest.mark.parametrize("relative", FEEDPARSER_FILES)
def test_feedparser_conformance_file_loses_no_entry(corpus: Path, server: LocalServer, relative: str) -> None:
    body = (corpus / "feedparser-tests" / relative).read_bytes()
    header = _HEADER_RE.search(body[:2000].decode("ascii", "replace"))
    assert header, f"{relative}: no Description/Expect header"
    description = header["description"]
    reference = _feedparser_reference(body)
    expected = _titled_or_linked(reference)

    assert reference.get("version"), f"{relative}: feedparser itself sees no feed"
    feed = fetch_and_parse(server, "/feed.xml", body)
    assert len(feed.entries) == len(expected), f"{relative} ({description})"
    for ours, theirs in zip(feed.entries, expected, strict=True):
        assert ours.title == (theirs.get("title") or ""), f"{relative} ({description})"
        assert bool(ours.link) == bool(theirs.get("link")), f"{relative} ({description})"
    titles = [feed.title, *(entry.title for entry in feed.entries)]
    assert not [title for title in titles if "Ã©" in title], f"{relative}: mojibake"


CHARDET_SCRIPTS = {  # file -> a character range its text must use once decoded
    "big5.xml": ("\u4e00", "\u9fff"),  # CJK ideographs
    "eucjp.xml": ("\u3040", "\u9fff"),  # kana and kanji
    "euckr.xml": ("\uac00", "\ud7af"),  # Hangul syllables
    "gb2312.xml": ("\u4e00", "\u9fff"),
    "koi8r.xml": ("\u0400", "\u04ff"),  # Cyrillic
    "shiftjis.xml": ("\u3040", "\u9fff"),
}


@pytest.mark.parametrize("name", sorted(CHARDET_SCRIPTS))
def test_undeclared_encoding_decodes_to_the_right_script(corpus: Path, server: LocalServer, name: str) -> None:
    body = (corpus / "feedparser-tests" / "illformed" / "chardet" / name).read_bytes()
    feed = fetch_and_parse(server, f"/chardet/{name}", body)
    text = " ".join([feed.title, *(entry.title for entry in feed.entries)])
    low, high = CHARDET_SCRIPTS[name]
    assert text.strip()
    # feedparser sniffs undeclared encodings with chardet (a dependency); without it, windows-1252 mojibake
    assert any(low <= char <= high for char in text), repr(text)
    assert not any("\u00c0" <= char <= "\u00ff" for char in text), f"Latin-1 mojibake: {text!r}"


def test_json_feed_example(corpus: Path, server: LocalServer) -> None:
    body = (corpus / "feedparser-tests" / "json" / "example.json").read_bytes()
    feed = fetch_and_parse(server, "/feed.json", body, "application/feed+json")
    assert feed.title == "My Example Feed"
    assert [(entry.guid, entry.title, entry.link) for entry in feed.entries] == [
        ("2", "post 2", "https://example.org/second-item"),
        ("1", "", "https://example.org/initial-post"),
    ]
    assert feed.entries[0].content_html == "This is a second item."
    assert feed.entries[1].author == "you"
    first = normalize(feed.entries[0], "json", PRESS_CAPTURED_AT)
    assert first is not None and first.url == "https://example.org/second-item"
    assert first.summary == "This is a second item."


def test_json_feed_content_script_is_dropped_by_normalisation(corpus: Path, server: LocalServer) -> None:
    body = (corpus / "feedparser-tests" / "json" / "example.json").read_bytes()
    feed = fetch_and_parse(server, "/feed.json", body, "application/json")
    entry = feed.entries[1]
    assert "<script>" in entry.content_html
    item = normalize(replace(entry, title="Hello"), "json", PRESS_CAPTURED_AT)
    assert item is not None
    assert item.content == "Hello, world!"
    assert "alert" not in item.summary


# --------------------------------------------------------------------------- rssparser-fr


def test_google_news_entry_keeps_publisher_and_loses_the_suffix(corpus: Path, server: LocalServer) -> None:
    body = (corpus / "rssparser-fr" / "google-news-fr-be-2020.xml").read_bytes()
    feed = fetch_and_parse(server, "/gnews.xml", body)
    assert feed.entries
    assert all(entry.title.endswith(" - RTBF") for entry in feed.entries[:1])
    items = [normalize(entry, "google-news", datetime(2025, 1, 1, tzinfo=UTC)) for entry in feed.entries]
    assert all(item is not None for item in items)
    first = items[0]
    assert first is not None
    assert first.publisher == "RTBF"
    assert first.outlet == "RTBF"
    assert first.title == (
        "Coronavirus en Belgique: 200 cas détectés au total, un nombre limité de tests effectués par manque de réactifs"
    )
    # The 2020 link carries the publisher's URL (watcher/gnews.py): the item is the outlet's article itself.
    assert urlsplit(first.url).hostname == "www.rtbf.be"
    assert urlsplit(first.url).path.startswith("/info/societe/detail_coronavirus-en-belgique-200-cas")
    assert first.summary == ""  # the <ol> cluster of other outlets is not this article's summary
    for item in items:
        assert item is not None and item.publisher
        assert not item.title.endswith(f" - {item.publisher}")


def test_spip_dc_date_gives_the_publication_date(corpus: Path, server: LocalServer) -> None:
    body = (corpus / "rssparser-fr" / "reporterre-spip-dcdate.xml").read_bytes()
    assert b"<pubDate>" not in body and b"<dc:date>" in body
    feed = fetch_and_parse(server, "/reporterre.xml", body)
    assert feed.entries
    collected_at = datetime(2025, 3, 1, tzinfo=UTC)
    item = normalize(feed.entries[0], "reporterre", collected_at)
    assert item is not None
    assert item.published == datetime(2025, 2, 26, 16, 42, 45, tzinfo=UTC)
    assert not item.published_estimated
    assert item.title.startswith("Europe : vers un « affaiblissement historique »")
    assert item.language == "fr"


# --------------------------------------------------------------------------- parliament-zam


def test_senat_atom03_iso_8859_15_feed(corpus: Path, server: LocalServer) -> None:
    body = (corpus / "parliament-zam" / "senat" / "doslegplfss2019.xml").read_bytes()
    assert body.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>')
    feed = fetch_and_parse(server, "/senat/doslegplfss2019.xml", body)
    assert feed.title == "Sénat - Financement de la sécurité sociale pour 2019"
    assert len(feed.entries) == body.count(b"<entry>") == 39
    titles = [entry.title for entry in feed.entries]
    assert titles[0] == "Parution au JO (Loi n° 2018-1203 du 22 décembre 2018)"
    assert any("é" in title for title in titles)
    assert not [title for title in titles if "Ã" in title or "\ufffd" in title]
    assert all(entry.published is not None for entry in feed.entries)
    items = [normalize(entry, "senat", datetime(2020, 1, 1, tzinfo=UTC)) for entry in feed.entries]
    assert all(item is not None and not item.published_estimated for item in items)
    assert all(item is not None and item.language == "fr" for item in items)
