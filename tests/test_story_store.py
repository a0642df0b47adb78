"""Stories in the database: same answers after a restart, first seen, outlets and item count (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from store import queries
from store.db import session_scope
from store.models import Item, Story
from store.stories import story_outlets
from tests.clock import NOW
from tests.collecting import cycle
from tests.conftest import config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.config import Config
from watcher.pipeline import load_story_index
from watcher.stories import OPENING_SOURCE_CHARS, story_doc

ANNOUNCEMENT = {
    "title": "Hôpital de Laval : l'ARS annonce la fermeture nocturne des urgences dès lundi",
    "link": "https://presse-a.test/laval-urgences",
    "description": "Faute d'urgentistes, l'agence régionale de santé des Pays de la Loire ferme les urgences du "
    "centre hospitalier de Laval la nuit ; le maire, Florian Bercault, dénonce « un abandon ».",
    "published": NOW - timedelta(hours=6),
}
RETITLED = {
    **ANNOUNCEMENT,
    "title": "Laval : les urgences de l'hôpital fermées la nuit à partir de lundi",
    "link": "https://presse-b.test/mayenne/laval-urgences-nuit",
    "published": NOW - timedelta(hours=5),
}
REACTION = {
    "title": "Urgences fermées la nuit à Laval : Florian Bercault réclame un moratoire à l'ARS",
    "link": "https://presse-b.test/mayenne/bercault-moratoire",
    "description": "Le maire de Laval demande au ministre de revenir sur la fermeture nocturne décidée par "
    "l'agence régionale de santé des Pays de la Loire, qui invoque le manque d'urgentistes.",
    "published": NOW - timedelta(hours=1),
}
OTHER_TOWN = {
    "title": "Vire : les urgences fermées ce week-end faute de médecins",
    "link": "https://presse-b.test/calvados/vire-urgences",
    "description": "Le centre hospitalier de Vire, dans le Calvados, réoriente les patients vers Caen.",
    "published": NOW - timedelta(hours=1),
}


def test_stories_survive_a_restart(engine: Engine, real_config: Config, server: LocalServer) -> None:
    server.route("/a.xml", rss("Presse A", [ANNOUNCEMENT]))
    server.route("/b.xml", rss("Presse B", [RETITLED, REACTION, OTHER_TOWN]))
    config = config_with_sources(
        real_config,
        {"name": "Presse A", "url": server.url("/a.xml")},
        {"name": "Presse B", "url": server.url("/b.xml")},
    )
    cycle(engine, config, ["Presse A"])
    cycle(engine, config, ["Presse B"])

    with session_scope(engine) as session:
        items = {item.url: item for item in session.exec(select(Item)).all()}
        first = items[ANNOUNCEMENT["link"]]
        assert items[RETITLED["link"]].story_id == first.story_id  # re-titled copy: stage 1
        assert items[REACTION["link"]].story_id == first.story_id  # same-event follow-up: stage 2
        assert items[OTHER_TOWN["link"]].story_id != first.story_id  # another town's closure
        story = session.get(Story, first.story_id)
        assert story is not None and story.item_count == 3
        assert story.first_seen_at == first.collected_at
        assert story_outlets(session, story.id or 0) == ["Presse A", "Presse B"]


def _column_issue(link: str, published: datetime) -> dict[str, object]:
    # A weekly column in the same words: each issue is a near-duplicate of the previous one.
    return {
        "title": "Urgences de Laval : les fermetures de nuit continuent, faute d'urgentistes",
        "link": link,
        "description": "L'agence régionale de santé des Pays de la Loire maintient la fermeture nocturne des "
        "urgences du centre hospitalier de Laval, faute d'urgentistes pour tenir les gardes.",
        "published": published,
    }


def test_a_story_closes_a_week_after_it_began_even_across_a_restart(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    issues = [
        _column_issue("https://presse-a.test/laval-1", NOW - timedelta(days=7, hours=12)),
        _column_issue("https://presse-a.test/laval-2", NOW - timedelta(days=5)),
        _column_issue("https://presse-a.test/laval-3", NOW - timedelta(days=2, hours=12)),
    ]
    latest = _column_issue("https://presse-b.test/laval-4", NOW - timedelta(hours=1))
    server.route("/a.xml", rss("Presse A", issues))
    server.route("/b.xml", rss("Presse B", [latest]))
    config = config_with_sources(
        real_config,
        {"name": "Presse A", "url": server.url("/a.xml")},
        {"name": "Presse B", "url": server.url("/b.xml")},
    )
    cycle(engine, config, ["Presse A"])
    with session_scope(engine) as session:
        stored = [session.exec(select(Item).where(Item.url == issue["link"])).one() for issue in issues]
        assert len({item.story_id for item in stored}) == 1  # each issue within 72 h of the previous one
        for item in stored[:2]:
            item.collected_at = item.published_at  # long collected: a restarted service does not index them again
            session.add(item)
    cycle(engine, config, ["Presse B"])  # a restart, then the fourth issue: 7 days and 11 hours after the first
    with session_scope(engine) as session:
        fourth = session.exec(select(Item).where(Item.url == latest["link"])).one()
        assert fourth.story_id != stored[0].story_id


def test_a_restart_reads_the_article_opening_as_the_live_index_did(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    # A feed that gives the whole article (<content:encoded>), longer than the part the opening is read from, in
    # accented French: the rebuild reads its first characters from the store, characters and not bytes on both
    # backends, and makes the very document the live index made.
    article = "Hôpital de Besançon : à l'été, l'équipe médicale décrit une activité très élevée. " * 120
    assert len(article) > OPENING_SOURCE_CHARS
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/'
        'content/"><channel><title>Presse C</title><link>https://presse-c.test/</link><item>'
        f"<title>{ANNOUNCEMENT['title']}</title><link>https://presse-c.test/laval</link>"
        f"<description>{ANNOUNCEMENT['description']}</description>"
        f"<content:encoded><![CDATA[<p>Florian Bercault, maire de Laval. {article}</p>]]></content:encoded>"
        "<pubDate>Mon, 23 Nov 2026 01:00:00 +0000</pubDate></item></channel></rss>"
    )
    server.route("/c.xml", body.encode())
    config = config_with_sources(real_config, {"name": "Presse C", "url": server.url("/c.xml")})
    cycle(engine, config, ["Presse C"])

    with session_scope(engine) as session:
        (item,) = session.exec(select(Item)).all()
        ((*_, content, _, _, _),) = queries.recent_story_members(session, NOW - timedelta(days=3), 40)
    assert item.content is not None and content == item.content[:40]  # « … maire de Laval. Hôpital de Besa »
    live = story_doc(item.title, item.summary, item.published_at, body=item.content)
    index, _, _ = load_story_index(engine, NOW)
    assert index._members[item.id].doc.terms == live.terms
    assert "e:besancon" in live.terms and "e:besancon" not in live.entities  # a name the article alone quotes
