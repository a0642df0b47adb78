"""« Pas le même sujet »: an item split out of its story stays apart, live and after a restart (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from alerts import interactions
from alerts.digest import Digest, build_digest, render
from alerts.slack import SPLIT_ACTION_ID
from store.db import session_scope
from store.models import Story, StorySplit
from store.outbox import record_digest_stories
from store.splits import SplitRefused, split_count, split_item
from tests.clock import AT_NOW, NOW
from tests.collecting import cycle, stored_items
from tests.conftest import REPO_ROOT, config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from tests.test_desk_slack import block_actions
from tests.test_story_store import ANNOUNCEMENT, REACTION, RETITLED
from watcher.cli import app
from watcher.config import Config
from watcher.pipeline import apply_splits, load_story_index
from watcher.stories import story_doc

PARIS = ZoneInfo("Europe/Paris")
# Another outlet's copy of the re-titled article: a near-duplicate of it first of all.
COPY = {**RETITLED, "link": "https://presse-c.test/laval-urgences-nuit"}


@pytest.fixture
def told(engine: Engine, real_config: Config, server: LocalServer) -> Config:
    """One story of three items (an announcement, its re-titled copy, a reaction), and a third outlet to come."""
    server.route("/a.xml", rss("Presse A", [ANNOUNCEMENT]))
    server.route("/b.xml", rss("Presse B", [RETITLED, REACTION]))
    server.route("/c.xml", rss("Presse C", [COPY]))
    config = config_with_sources(
        real_config,
        {"name": "Presse A", "url": server.url("/a.xml")},
        {"name": "Presse B", "url": server.url("/b.xml")},
        {"name": "Presse C", "url": server.url("/c.xml")},
    )
    cycle(engine, config, ["Presse A"])
    cycle(engine, config, ["Presse B"])
    items = stored_items(engine)
    assert len({items[str(entry["link"])].story_id for entry in (ANNOUNCEMENT, RETITLED, REACTION)}) == 1
    return config


def test_a_split_item_gets_a_story_of_its_own_and_the_split_is_recorded(engine: Engine, told: Config) -> None:
    items = stored_items(engine)
    contested, former = items[str(RETITLED["link"])], items[str(ANNOUNCEMENT["link"])].story_id
    with session_scope(engine) as session:
        done = split_item(session, contested.id or 0, who="@coordination", now=NOW)
    assert (done.former_story_id, done.left_in_former) == (former, 2)
    items = stored_items(engine)
    assert items[str(RETITLED["link"])].story_id == done.new_story_id != former
    # The reaction joined after the contested item: it stays in the story (it may be split in turn).
    assert items[str(REACTION["link"])].story_id == former
    with session_scope(engine) as session:
        kept, alone = session.get(Story, former), session.get(Story, done.new_story_id)
        assert kept is not None and alone is not None
        assert (kept.item_count, kept.title) == (2, ANNOUNCEMENT["title"])
        assert (alone.item_count, alone.title, alone.first_seen_at) == (1, RETITLED["title"], contested.collected_at)
        split = session.exec(select(StorySplit)).one()
        assert (split.item_id, split.former_story_id, split.new_story_id) == (contested.id, former, alone.id)
        assert (split.who, split.split_at) == ("@coordination", NOW)
        assert split_count(session) == 1


def test_splitting_the_first_item_leaves_the_story_to_the_next_one(engine: Engine, told: Config) -> None:
    items = stored_items(engine)
    first = items[str(ANNOUNCEMENT["link"])]
    with session_scope(engine) as session:
        done = split_item(session, first.id or 0, who="@coordination", now=NOW)
        kept = session.get(Story, done.former_story_id)
        assert kept is not None
        # The story now begins with the re-titled copy (collected in the second cycle, before the reaction).
        following = items[str(RETITLED["link"])]
        assert (kept.title, kept.first_seen_at, kept.item_count) == (RETITLED["title"], following.collected_at, 2)


def test_an_unknown_item_or_one_alone_cannot_be_split(engine: Engine, told: Config) -> None:
    contested = stored_items(engine)[str(RETITLED["link"])].id or 0
    with session_scope(engine) as session, pytest.raises(SplitRefused) as unknown:
        split_item(session, 999_999, who="@coordination", now=NOW)
    assert unknown.value.reason == "unknown"
    with session_scope(engine) as session:
        split_item(session, contested, who="@coordination", now=NOW)
    with session_scope(engine) as session, pytest.raises(SplitRefused) as alone:
        split_item(session, contested, who="@bureau", now=NOW)
    assert alone.value.reason == "alone" and alone.value.split is not None and alone.value.split.who == "@coordination"
    with session_scope(engine) as session:
        assert split_count(session) == 1


@pytest.mark.parametrize("split", [False, True], ids=["without-split", "after-split"])
def test_after_a_restart_a_copy_of_the_split_item_does_not_bring_it_back(
    engine: Engine, told: Config, split: bool
) -> None:
    items = stored_items(engine)
    former = items[str(ANNOUNCEMENT["link"])].story_id
    if split:
        with session_scope(engine) as session:
            new_story = split_item(session, items[str(RETITLED["link"])].id or 0, who="@c", now=NOW).new_story_id
    cycle(engine, told, ["Presse C"])  # a new collector: its story index is rebuilt from the store
    items = stored_items(engine)
    copy = items[str(COPY["link"])]
    if not split:
        assert copy.story_id == former  # the control: the copy joins the story through the re-titled article
        return
    assert copy.story_id == new_story != former
    assert items[str(RETITLED["link"])].story_id == new_story  # nothing put the split item back


def test_a_live_index_learns_of_a_split_made_after_it_was_built(engine: Engine, told: Config) -> None:
    items = stored_items(engine)
    contested, former = items[str(RETITLED["link"])], items[str(ANNOUNCEMENT["link"])].story_id
    index, seen, _merges_seen = load_story_index(engine, NOW)
    copy = story_doc(str(COPY["title"]), str(COPY["description"]), COPY["published"])  # type: ignore[arg-type]
    assert index.find_story(copy) == former
    with session_scope(engine) as session:
        new_story = split_item(session, contested.id or 0, who="@c", now=NOW).new_story_id
    with session_scope(engine) as session:
        seen = apply_splits(session, index, seen)
        assert apply_splits(session, index, seen) == seen  # applied once
    assert index.find_story(copy) == new_story
    rebuilt, rebuilt_seen, _merges_seen = load_story_index(engine, NOW)
    assert (rebuilt.find_story(copy), rebuilt_seen) == (new_story, seen)
    # The story's first article split too: the story now begins with the reaction, live as after a rebuild
    # (when a story began decides when it stops taking articles).
    with session_scope(engine) as session:
        split_item(session, items[str(ANNOUNCEMENT["link"])].id or 0, who="@c", now=NOW)
        seen = apply_splits(session, index, seen)
    rebuilt, _, _ = load_story_index(engine, NOW)
    assert index._opened == rebuilt._opened and index._opened[former] == REACTION["published"]


def test_the_command_splits_and_says_why_it_cannot(
    engine: Engine, told: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("WATCHER_CONFIG", str(REPO_ROOT / "sources.yaml"))
    monkeypatch.setenv("USER", "magali")
    monkeypatch.setenv("COLUMNS", "250")
    items = stored_items(engine)
    contested, former = items[str(RETITLED["link"])].id, items[str(ANNOUNCEMENT["link"])].story_id
    splits = "Scissions de sujets (« Pas le même sujet ») : {}"
    assert splits.format(0) in CliRunner().invoke(app, ["rules", "stats"]).output.splitlines()
    result = CliRunner().invoke(app, [*AT_NOW, "stories", "split", str(contested)])
    assert result.exit_code == 0, result.output
    new_story = stored_items(engine)[str(RETITLED["link"])].story_id
    assert result.output.strip() == (
        f"Article {contested} séparé du sujet n° {former} (qui garde 2 articles) : il forme le sujet "
        f"n° {new_story}, et n'y sera plus rattaché (par magali)."
    )
    again = CliRunner().invoke(app, [*AT_NOW, "stories", "split", str(contested)])
    assert again.exit_code == 1
    assert again.stderr.strip() == (
        f"Erreur : l'article {contested} est déjà seul dans son sujet : magali l'a séparé du sujet n° {former}"
    )
    unknown = CliRunner().invoke(app, [*AT_NOW, "stories", "split", "999999"])
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == (
        "Erreur : article 999999 introuvable (voir « watcher items » ou « watcher search »)"
    )
    with session_scope(engine) as session:
        split = session.exec(select(StorySplit)).one()
        assert (split.who, split.split_at) == ("magali", NOW)
    stats = CliRunner().invoke(app, ["rules", "stats"])
    assert stats.exit_code == 0 and splits.format(1) in stats.output.splitlines()


def test_the_slack_button_splits_once_and_the_message_says_it(engine: Engine, told: Config) -> None:
    items = stored_items(engine)
    contested, former = items[str(RETITLED["link"])].id or 0, items[str(ANNOUNCEMENT["link"])].story_id
    click = block_actions(SPLIT_ACTION_ID, contested)
    with session_scope(engine) as session:
        outcome = interactions.handle(session, click, now=NOW)
    assert outcome.changed and outcome.update is not None
    new_story = stored_items(engine)[str(RETITLED["link"])].story_id
    assert new_story != former
    [state] = [block for block in outcome.update["blocks"] if block.get("block_id") == interactions.STATE_BLOCK_ID]
    assert [element["text"] for element in state["elements"]] == [
        f"✂️ Pas le même sujet — séparé par @marie, 23/11 07:00 : sujet n° {new_story} à lui seul"
    ]
    # Another person's click on the same button, later: nothing left to split, nothing changes.
    with session_scope(engine) as session:
        late = block_actions(SPLIT_ACTION_ID, contested, user="paul", action_ts="1732353999.1")
        assert not interactions.handle(session, late, now=NOW).changed
        assert split_count(session) == 1
        assert session.exec(select(StorySplit.who)).one() == "@marie"


def _digest(engine: Engine, config: Config, top: int = 12) -> Digest:
    labels = {key: topic.label for key, topic in config.topics.items()}
    with session_scope(engine) as session:
        return build_digest(session, NOW - timedelta(hours=1), NOW + timedelta(minutes=5), labels, PARIS, top=top)


def test_the_digest_lists_a_story_once_with_its_other_articles_under_it(engine: Engine, told: Config) -> None:
    items = stored_items(engine)
    story = items[str(ANNOUNCEMENT["link"])].story_id or 0
    with session_scope(engine) as session:
        record_digest_stories(session, NOW.date() - timedelta(days=1), [story])  # told in yesterday's digest
    digest = _digest(engine, told)
    [entry] = digest.entries
    assert entry.story_id == story and entry.follow_up and entry.item_count == 3
    told_by = {ANNOUNCEMENT["title"]: "Presse A", RETITLED["title"]: "Presse B", REACTION["title"]: "Presse B"}
    others = [(other.title, other.outlet) for other in entry.others]
    assert sorted(others) == sorted((title, outlet) for title, outlet in told_by.items() if title != entry.title)
    # « suite » marks a story of an earlier digest; its other articles of the period are nested « suites ».
    expected = {
        "html": ["2 suites sur le même sujet :", ">suite</span>"],
        "md": ["  2 suites sur le même sujet :", "*suite*"],
        "txt": ["  2 suites sur le même sujet :", "* [suite"],
        "slack": ["    ↳ 2 suites sur le même sujet : <", "_suite_"],
    }
    brief = {  # the same story in « Aussi », one line a story
        "html": ["2 suites sur le même sujet :", " · suite</span>"],
        "md": ["  2 suites sur le même sujet :", " · suite"],
        "txt": ["  2 suites sur le même sujet :", ", suite)"],
        "slack": ["    ↳ 2 suites sur le même sujet : <", "_suite_"],
    }
    for shown, lines in ((digest, expected), (_digest(engine, told, top=0), brief)):
        for fmt, parts in lines.items():
            text = render(shown, fmt).replace("&#39;", "'")
            for part in parts:
                assert part in text, (fmt, part)
            for title, outlet in others:
                assert title in text and outlet in text, (fmt, title)

    # Split, the contested article is a story of its own in the digest, and no longer listed under the other.
    with session_scope(engine) as session:
        split_item(session, items[str(RETITLED["link"])].id or 0, who="@c", now=NOW)
    digest = _digest(engine, told)
    assert len(digest.entries) == 2
    [kept] = [entry for entry in digest.entries if entry.story_id == story]
    assert kept.item_count == 2 and RETITLED["title"] not in [other.title for other in kept.others]
