"""`page` sources (a site without a feed) and `full_text` sources, over real HTTP with real French pages."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Item
from tests.clock import NOW, frozen
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.pipeline import Collector


@pytest.fixture(scope="module")
def gold(corpus: Path) -> list[dict[str, object]]:
    """trafilatura's French evaluation pages with the snippets an extraction must (not) contain."""
    entries = json.loads((corpus / "trafilatura-eval-fr" / "evaldata_fr.json").read_text(encoding="utf-8"))
    return [{"url": url, **entry} for url, entry in sorted(entries.items())][:6]


def _serve_articles(server: LocalServer, corpus: Path, gold: list[dict[str, object]]) -> list[str]:
    paths = []
    for number, entry in enumerate(gold):
        path = f"/articles/{number}-{Path(str(entry['file'])).stem.replace('.', '-')}.html"
        body = (corpus / "trafilatura-eval-fr" / "html" / str(entry["file"])).read_bytes()
        server.route(path, body, headers={"Content-Type": "text/html; charset=utf-8"})
        paths.append(path)
    return paths


def _collect(engine: Engine, config: Config) -> None:
    collector = Collector(engine, config, clock=frozen())
    collector.sync_sources()
    asyncio.run(collector.run_cycle([source.name for source in config.sources]))


def test_page_source_finds_articles_and_extracts_their_text(
    engine: Engine, real_config: Config, server: LocalServer, corpus: Path, gold: list[dict[str, object]]
) -> None:
    paths = _serve_articles(server, corpus, gold)
    links = "".join(f'<li><a href="{path}">Article {n}</a></li>' for n, path in enumerate(paths))
    listing = (
        "<html><head><title>Actualités</title></head><body><nav><a href='/'>Accueil</a></nav>"
        f"<main><h1>Nos actualités</h1><ul>{links}</ul></main></body></html>"
    ).encode()
    server.route("/actualites/", listing, headers={"Content-Type": "text/html; charset=utf-8"})
    config = config_with_sources(
        real_config, {"name": "Site sans flux", "kind": "page", "url": server.url("/actualites/")}
    )

    _collect(engine, config)
    with session_scope(engine) as session:
        items = session.exec(select(Item)).all()
    assert len(items) >= len(gold) - 1  # an article page may carry too little text to count
    kept = sum(any(snippet in (item.content or "") for item in items) for entry in gold for snippet in entry["with"])
    expected = sum(len(entry["with"]) for entry in gold)
    assert kept >= expected - 1, f"{kept}/{expected} gold snippets extracted"
    assert all(item.title and item.url.startswith(server.base_url) for item in items)

    # Known article pages are not fetched again on the next cycle.
    before = sum(server.hits[path] for path in paths)
    server.route("/actualites/", listing + b" ", headers={"Content-Type": "text/html; charset=utf-8"})
    _collect(engine, config)
    assert sum(server.hits[path] for path in paths) == before


def test_full_text_fetches_each_new_article_once(
    engine: Engine, real_config: Config, server: LocalServer, corpus: Path, gold: list[dict[str, object]]
) -> None:
    paths = _serve_articles(server, corpus, gold[:2])
    feed = rss("Flux court", [
        {"title": f"Article {n}", "link": server.url(path), "description": "Résumé court.",
         "published": NOW - timedelta(hours=n)} for n, path in enumerate(paths)
    ])  # fmt: skip
    server.route("/feed.xml", feed)
    config = config_with_sources(real_config, {"name": "Flux court", "url": server.url("/feed.xml"), "full_text": True})
    _collect(engine, config)
    with session_scope(engine) as session:
        items = {item.url: item for item in session.exec(select(Item)).all()}
    for path, entry in zip(paths, gold[:2], strict=True):
        content = items[server.url(path)].content or ""
        assert any(snippet in content for snippet in entry["with"]), entry["file"]
        assert items[server.url(path)].summary == "Résumé court."

    server.route("/feed.xml", feed + b"\n")  # a new body with the same items
    _collect(engine, config)
    assert all(server.hits[path] == 1 for path in paths)
    with session_scope(engine) as session:
        assert all(item.updated_at is None for item in session.exec(select(Item)).all())
