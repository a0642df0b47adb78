"""A week of coverage played by local servers: two outlets' own feeds, a Google News–like search and a Mastodon tag.

- Presse A's feed has the Carhaix story first; the search lists the same article (its link carries the URL) 20 min
  later.
- The search has Presse B's article on the Brest strike at 08:20; Presse B's own feed delivers it at 15:30 (Paris),
  7 h 10 min later: Presse B is late.
- The search has an article of « Le Courrier du Trégor », which sources.yaml does not have (its link is one of the
  opaque ones, so only its <source> names the outlet): an outlet to add.
- A Mastodon post on the Morlaix emergency room: seen by the social source alone.
- Presse B's festival story: seen by one direct feed only.

The Collector reads the wall clock; here each source is collected at a given moment through the same steps (real
HTTP to the local server through the network policy, the feed reader, `SourceBatch` in one transaction), so that
the delays are the ones written below and no test depends on the day it runs.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine
from sqlmodel import select

from store import queries
from store.db import session_scope
from store.models import Source
from tests.conftest import REPO_ROOT
from tests.feeds import rss
from tests.localserver import LocalServer
from tests.test_gnews import google_link
from watcher.batch import SourceBatch
from watcher.config import Config, load_config
from watcher.fetch import Fetcher
from watcher.netguard import NetworkPolicy
from watcher.normalize import normalize
from watcher.parse.feed import parse_feed
from watcher.pipeline import load_story_index, source_specs
from watcher.prepare import PreparedFeed
from watcher.score import Scorer
from watcher.tracked import TrackedBills

MONDAY = datetime(2027, 3, 8, 7, 0, tzinfo=UTC)  # 08:00 in Paris
NOW = MONDAY + timedelta(days=1)
SEARCH = "Google Actualités — « urgences »"
SOCIAL = "Mastodon — #urgences"

CARHAIX_URL = "https://www.presse-a.example/bretagne/carhaix-urgences-nuit"
CARHAIX = {
    "title": "Carhaix : les urgences de nuit fermées tout l'été faute de médecins",
    "link": CARHAIX_URL,
    "description": "L'hôpital de Carhaix ferme ses urgences la nuit jusqu'en septembre, faute de médecins "
    "urgentistes. Les patients sont invités à appeler le 15.",
    "published": MONDAY - timedelta(minutes=30),
}
STRIKE_URL = "https://www.presse-b.example/brest/greve-infirmieres-chu"
STRIKE = {
    "title": "Grève des infirmières au CHU de Brest : les blocs opératoires à l'arrêt",
    "link": STRIKE_URL,
    "description": "Les infirmières de bloc du CHU de Brest sont en grève depuis lundi matin ; des opérations "
    "sont reportées.",
    "published": MONDAY,
}
FESTIVAL = {
    "title": "Brest : le festival de la soupe revient sur le port",
    "link": "https://www.presse-b.example/brest/festival-soupe",
    "description": "Quarante cuisiniers amateurs attendus samedi sur le port de commerce.",
    "published": MONDAY - timedelta(hours=2),
}
SEARCH_ITEMS = [
    {
        "title": f"{CARHAIX['title']} - Presse A",
        "link": google_link(CARHAIX_URL.encode()),
        "published": CARHAIX["published"],
        "source": ("Presse A", "https://www.presse-a.example"),
    },
    {
        "title": f"{STRIKE['title']} - Presse B",
        "link": google_link(STRIKE_URL.encode()),
        "published": STRIKE["published"],
        "source": ("Presse B", "https://www.presse-b.example"),
    },
    {
        "title": "Lannion : la maternité suspend les accouchements jusqu'en septembre - Le Courrier du Trégor",
        "link": google_link(b"AU_yqLOiGkhqOj0Bw7n4X3zR4XUpQ0bp0a5c"),  # an opaque id: only <source> names the outlet
        "published": MONDAY - timedelta(hours=1),
        "source": ("Le Courrier du Trégor", "https://www.courrier-tregor.example"),
    },
]
POST = {
    "title": "",
    "link": "https://mastodon.example/@soignante/112233",
    "description": "Six heures d'attente ce soir aux urgences de Morlaix, l'équipe de nuit est épuisée #urgences",
    "published": MONDAY + timedelta(minutes=50),
}


def write_config(tmp_path: Path, server: LocalServer) -> Path:
    """The collective's sources.yaml with the scenario's sources instead of its own."""
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [
        {"name": "Presse A — Bretagne", "url": server.url("/presse-a.xml"), "topics": ["hopital"]},
        {"name": "Presse B", "url": server.url("/presse-b.xml"), "topics": ["hopital"]},
        {"name": SEARCH, "url": server.url("/gnews.xml"), "category": "agregateur", "topics": ["hopital"]},
        {"name": SOCIAL, "url": server.url("/tags/urgences.rss"), "category": "social", "topics": ["hopital"]},
    ]
    data["digest"]["output_dir"] = str(tmp_path / "digests")
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def collect_at(engine: Engine, config: Config, name: str, at: datetime) -> None:
    """One source collected at `at`: fetched from its local server, read and stored as a cycle does."""
    spec = config.source(name)

    async def fetch() -> tuple[bytes, str, str]:
        async with Fetcher(policy=NetworkPolicy.for_urls(source.url for source in config.sources)) as fetcher:
            result = await fetcher.get(spec.url)
            return result.body, result.url, result.content_type

    body, url, content_type = asyncio.run(fetch())
    items = [item for entry in parse_feed(body, url, content_type).entries if (item := normalize(entry, name, at))]
    index, _splits_seen, _merges_seen = load_story_index(engine, at)
    with session_scope(engine) as session:
        queries.sync_sources(session, source_specs(config), at)
        source_id = session.exec(select(Source.id).where(Source.name == name)).one()
        batch = SourceBatch(session, config, Scorer(config), TrackedBills(config), index, source_id or 0, spec, at)
        batch.store(PreparedFeed(items), {})


def play_week(engine: Engine, tmp_path: Path, server: LocalServer) -> Config:
    """Serve the feeds, collect them at their moments; the configuration, also written to tmp_path/sources.yaml."""
    config = load_config(write_config(tmp_path, server))
    server.route("/presse-a.xml", rss("Presse A", [CARHAIX]))
    server.route("/presse-b.xml", rss("Presse B", [FESTIVAL]))
    server.route("/gnews.xml", rss(SEARCH, SEARCH_ITEMS))
    server.route("/tags/urgences.rss", rss(SOCIAL, [POST]))
    collect_at(engine, config, "Presse A — Bretagne", MONDAY)
    collect_at(engine, config, SEARCH, MONDAY + timedelta(minutes=20))
    collect_at(engine, config, "Presse B", MONDAY + timedelta(minutes=30))
    collect_at(engine, config, SOCIAL, MONDAY + timedelta(hours=1))
    # Presse B's feed lists its strike article only in the afternoon.
    server.route("/presse-b.xml", rss("Presse B", [STRIKE, FESTIVAL]))
    collect_at(engine, config, "Presse B", MONDAY + timedelta(hours=7, minutes=30))
    return config
