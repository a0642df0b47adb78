"""`page` sources (a site without a feed) and `full_text` sources, over real HTTP with real French pages."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from html import escape
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Item
from tests.clock import NOW, frozen
from tests.conftest import REPO_ROOT, config_with_sources
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


def _article_page(title: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in text.splitlines())
    return (
        f"<!doctype html><html lang='fr'><head><title>{escape(title)}</title></head><body>"
        "<header><nav><a href='/'>Accueil</a> · <a href='/sante/'>Santé</a></nav></header>"
        f"<main><article><h1>{escape(title)}</h1>{paragraphs}</article></main>"
        "<footer>© Exemple — tous droits réservés</footer></body></html>"
    ).encode()


@pytest.mark.parametrize("workers", [False, True], ids=["un-processus", "processus-auxiliaires"])
def test_full_text_articles_join_their_story_by_what_they_quote_even_after_a_restart(
    engine: Engine, real_config: Config, workers: bool
) -> None:
    # The announcement and its reaction share no name in their titles and summaries; their articles quote the same
    # minister, town, regions and figures (tests/test_story_pairs.py: without the texts, two stories).
    fixture = REPO_ROOT / "tests" / "fixtures" / "stories" / "openings.jsonl"
    rows = {row["url"].rsplit("/", 1)[-1]: row for row in map(json.loads, fixture.read_text("utf-8").splitlines())}
    hours_ago = {"dialyse-annonce": 10, "nantes-urgences": 9, "dialyse-reaction": 5}
    server = LocalServer()
    for name, row in rows.items():
        server.route(f"/articles/{name}.html", _article_page(row["title"], row["content"]))

    def publish(names: list[str]) -> None:
        server.route("/feed.xml", rss("Le Quotidien Exemple", [
            {"title": rows[name]["title"], "link": server.url(f"/articles/{name}.html"),
             "description": rows[name]["summary"], "published": NOW - timedelta(hours=hours_ago[name])}
            for name in names
        ]))  # fmt: skip

    config = config_with_sources(
        real_config, {"name": "Le Quotidien Exemple", "url": server.url("/feed.xml"), "full_text": True}
    )
    # Two collectors, the second one a restart: it rebuilds its story index from the stored items, articles included.
    # Both fork their workers before the server starts its thread, as `watcher run` does.
    first, restarted = (Collector(engine, config, workers=workers, clock=frozen()) for _ in range(2))
    try:
        with server:
            first.sync_sources()
            publish(["dialyse-annonce", "nantes-urgences"])
            asyncio.run(first.run_cycle(["Le Quotidien Exemple"]))
            first.close()
            publish(["dialyse-annonce", "nantes-urgences", "dialyse-reaction"])
            asyncio.run(restarted.run_cycle(["Le Quotidien Exemple"]))
    finally:
        first.close()
        restarted.close()

    with session_scope(engine) as session:
        stories = {
            item.url.rsplit("/", 1)[-1].removesuffix(".html"): item.story_id for item in session.exec(select(Item))
        }
    assert stories["dialyse-reaction"] == stories["dialyse-annonce"]
    assert stories["nantes-urgences"] != stories["dialyse-annonce"]
