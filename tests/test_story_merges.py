"""An item that links two open stories merges them, as single link does: in the index, in `watcher preview`, in the
store (SQLite, PostgreSQL) and after a restart, in another worker's index, and never across a person's split."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from sqlalchemy import Engine
from sqlmodel import col, select
from typer.testing import CliRunner

from alerts.digest import build_digest
from alerts.slack import SlackSender, merged_message
from store import merges, outbox, queries
from store.db import session_scope
from store.models import Delivery, Story, StoryMerge
from store.outbox import record_digest_stories
from store.splits import split_item
from store.stories import story_outlets
from tests.clock import AT_NOW, NOW
from tests.collecting import cycle, stored_items
from tests.conftest import REPO_ROOT, config_with_sources
from tests.deliveryfixtures import TOKEN
from tests.fakeslack import FakeSlack
from tests.feeds import rss
from tests.localserver import LocalServer
from tests.previewing import preview_rows
from watcher import pipeline
from watcher.cli import app
from watcher.config import Config
from watcher.delivery_job import configured_channels, deliver
from watcher.pipeline import apply_merges, apply_splits, load_story_index
from watcher.stories import StoryDoc, StoryIndex, story_doc

PARIS = ZoneInfo("Europe/Paris")

# A director leaves; the regional agency's call for candidates, which names neither him nor the town's hospital; then
# an article that tells both. The first two stay apart (no name in common), the third reaches the bar with each.
DEPARTURE = {
    "title": "Le directeur du CHU de Rennes quitte ses fonctions",
    "link": "https://presse-a.test/rennes-directeur",
    "description": "Jean-Marc Vidal, directeur général du CHU de Rennes depuis 2019, a annoncé son départ lundi, "
    "après des mois de tensions avec les syndicats.",
    "published": NOW - timedelta(hours=9),
}
CALL = {
    "title": "Hôpital : l'ARS de Bretagne lance un appel à candidatures pour la direction",
    "link": "https://presse-b.test/ars-appel",
    "description": "L'agence régionale de santé cherche un nouveau directeur général pour l'établissement rennais, "
    "où les syndicats réclament un dialogue renoué.",
    "published": NOW - timedelta(hours=6),
}
LINK = {
    "title": "Après le départ de Jean-Marc Vidal, l'ARS de Bretagne cherche un directeur pour le CHU de Rennes",
    "link": "https://presse-c.test/rennes-successeur",
    "description": "Le directeur général du CHU de Rennes quitte ses fonctions : l'agence régionale de santé de "
    "Bretagne lance un appel à candidatures pour lui trouver un successeur.",
    "published": NOW - timedelta(hours=3),
}
# The call for candidates, told again by a fourth outlet once the stories are one.
CALL_AGAIN = {**CALL, "link": "https://presse-d.test/bretagne/ars-appel-direction"}
# Another hospital's news, which the linking article does not reach.
OTHER_HOSPITAL = {
    "title": "Grève des urgences au CHU de Brest : les soignants réclament des renforts",
    "link": "https://presse-f.test/brest-urgences",
    "description": "Les infirmières des urgences du CHU de Brest sont en grève depuis lundi pour obtenir des postes.",
    "published": NOW - timedelta(hours=5),
}
# A fifth outlet's article, close to the call's words and to the linking article's: it links both, as a copy.
RELINK = {
    "title": "Direction du CHU de Rennes : l'ARS de Bretagne lance un appel à candidatures",
    "link": "https://presse-e.test/chu-rennes-direction",
    "description": "Après le départ de Jean-Marc Vidal, l'agence régionale de santé cherche un nouveau directeur "
    "général pour l'établissement rennais.",
    "published": NOW - timedelta(hours=1),
}


def _doc(entry: dict[str, object]) -> StoryDoc:
    published = entry["published"]
    assert isinstance(published, datetime)
    return story_doc(str(entry["title"]), str(entry["description"]), published)


def _indexed(*entries: tuple[str, dict[str, object]]) -> StoryIndex:
    index = StoryIndex()
    for key, entry in entries:
        index.add(key, key, _doc(entry))
    return index


# --- the index -------------------------------------------------------------------------------------------------------


def test_an_item_that_links_two_stories_merges_them() -> None:
    index = _indexed(("depart", DEPARTURE))
    assert index.find_story(_doc(CALL)) is None  # apart until the third article
    index.add("appel", "appel", _doc(CALL))
    placement = index.place(_doc(LINK))
    assert (placement.story, placement.linked) == ("depart", frozenset({"appel"}))
    assert index.gather("depart", placement.linked) == ("depart", ["appel"])  # the one that began first stays
    index.add("lien", "depart", _doc(LINK))
    assert index.find_story(_doc(CALL_AGAIN)) == "depart"


def test_a_story_of_several_items_is_merged_through_two_of_them() -> None:
    # The call's story also holds an item the linking article does not reach (put there as a hub would chain it).
    index = _indexed(("depart", DEPARTURE))
    index.add("appel", "appel", _doc(CALL))
    index.add("autre", "appel", _doc(OTHER_HOSPITAL))
    assert index.place(_doc(LINK)).linked == frozenset()  # one of its two items only
    index.add("appel-bis", "appel", _doc(CALL_AGAIN))
    assert index.place(_doc(LINK)).linked == {"appel"}  # two of its three


def test_the_alerted_story_keeps_its_id() -> None:
    index = _indexed(("depart", DEPARTURE), ("appel", CALL))
    linked = index.place(_doc(LINK)).linked
    assert index.gather("depart", linked, preferred={"appel"}) == ("appel", ["depart"])
    assert index.find_story(_doc(DEPARTURE)) == "appel"


def test_stories_a_person_told_apart_are_never_merged() -> None:
    index = _indexed(("depart", DEPARTURE), ("appel", CALL))
    index.keep_apart("appel", "depart")
    placement = index.place(_doc(LINK))
    assert placement.linked == {"appel"}  # the item still links both
    assert index.gather("depart", placement.linked) == ("depart", [])
    # Apart from a story is apart from the one that absorbs it later.
    index = _indexed(("depart", DEPARTURE), ("appel", CALL))
    index.keep_apart("appel", "ancien")
    index.merge("ancien", "depart")
    assert index.gather("depart", {"appel"}) == ("depart", [])


def test_preview_merges_as_the_service_does(tmp_path: Path) -> None:
    rows = [
        {"url": entry["link"], "source": source, "published": entry["published"].isoformat(),  # type: ignore[attr-defined]
         "title": entry["title"], "summary": entry["description"]}
        for source, entry in (("Presse A", DEPARTURE), ("Presse B", CALL), ("Presse C", LINK))
    ]  # fmt: skip
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    previewed = preview_rows(items)
    assert len({row["story"] for row in previewed.values()}) == 1
    (join,) = [reason for reason in previewed["rennes-successeur"]["why"] if reason.startswith("récit")]
    assert join.endswith("; relie aussi un autre récit, réuni à celui-ci")
    # Without the third article, two stories.
    items.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows[:2]), encoding="utf-8")
    assert len({row["story"] for row in preview_rows(items).values()}) == 2


# --- the service -----------------------------------------------------------------------------------------------------


@pytest.fixture
def outlets(real_config: Config, server: LocalServer) -> Config:
    for name, entries in (("a", [DEPARTURE]), ("b", [CALL]), ("c", [LINK]), ("d", [CALL_AGAIN]), ("e", [RELINK])):
        server.route(f"/{name}.xml", rss(f"Presse {name.upper()}", entries))
    return config_with_sources(
        real_config, *({"name": f"Presse {name}", "url": server.url(f"/{name.lower()}.xml")} for name in "ABCDE")
    )


def _cited(entry: dict[str, object]) -> dict[str, object]:
    """The entry quoting the collective: an alert of its own (« On parle de nous », and its theme)."""
    return {**entry, "description": f"{entry['description']} Le collectif Action Patients demande à être entendu."}


def _watcher(engine: Engine, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """`watcher ARGS` on this database, with the collective's sources.yaml, on a wide terminal."""
    monkeypatch.setenv("WATCHER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("WATCHER_CONFIG", str(REPO_ROOT / "sources.yaml"))
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner().invoke(app, list(args))


def _rules_stats(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    result = _watcher(engine, monkeypatch, "rules", "stats")
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_the_store_moves_the_absorbed_story_and_a_restart_keeps_it(
    engine: Engine, outlets: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "Fusions de sujets (un article qui en relie deux) : 0" in _rules_stats(engine, monkeypatch)
    cycle(engine, outlets, ["Presse A"])
    cycle(engine, outlets, ["Presse B"])
    items = stored_items(engine)
    departure, call = items[str(DEPARTURE["link"])], items[str(CALL["link"])]
    assert departure.story_id != call.story_id
    cycle(engine, outlets, ["Presse C"])
    items = stored_items(engine)
    link = items[str(LINK["link"])]
    assert {item.story_id for item in items.values()} == {departure.story_id}
    with session_scope(engine) as session:
        kept, gone = session.get(Story, departure.story_id), session.get(Story, call.story_id)
        assert kept is not None and gone is not None
        assert (kept.item_count, kept.title, kept.first_seen_at) == (3, DEPARTURE["title"], departure.collected_at)
        assert (gone.item_count, gone.merged_into_id) == (0, departure.story_id)
        merge = session.exec(select(StoryMerge)).one()
        assert (merge.story_id, merge.absorbed_story_id, merge.item_id, merge.moved, merge.merged_at) == (
            departure.story_id, call.story_id, link.id, 1, NOW
        )  # fmt: skip
        assert merges.merge_count(session) == 1
        assert story_outlets(session, departure.story_id or 0) == ["Presse A", "Presse B", "Presse C"]
        # An alert planned for the absorbed story before the merge shows the outlets of the story that took its items.
        queries.enqueue_delivery(session, story_id=call.story_id or 0, item_id=call.id or 0, channel="#v", now=NOW)
        planned = session.exec(select(Delivery).where(col(Delivery.story_id) == call.story_id)).one()
        assert outbox.alert_view(session, planned).outlets == ["Presse A", "Presse B", "Presse C"]
    assert "Fusions de sujets (un article qui en relie deux) : 1" in _rules_stats(engine, monkeypatch)
    # A restart rebuilds the index from the store: a fourth outlet's copy of the call joins the one story.
    cycle(engine, outlets, ["Presse D"])
    assert stored_items(engine)[str(CALL_AGAIN["link"])].story_id == departure.story_id


def test_the_alerted_story_keeps_its_id_and_the_follow_up_threads_under_its_alert(
    engine: Engine, real_config: Config, server: LocalServer
) -> None:
    cited = _cited(CALL)
    for name, entries in (("a", [DEPARTURE]), ("b", [cited]), ("c", [LINK])):
        server.route(f"/{name}.xml", rss(f"Presse {name.upper()}", entries))
    config = config_with_sources(
        real_config, *({"name": f"Presse {name}", "url": server.url(f"/{name.lower()}.xml")} for name in "ABC")
    )
    for name in "ABC":
        cycle(engine, config, [f"Presse {name}"])
    items = stored_items(engine)
    departure, call, link = (items[str(entry["link"])] for entry in (DEPARTURE, cited, LINK))
    # The departure began first, but the call was alerted: its story keeps its id and takes the departure.
    assert departure.story_id == call.story_id == link.story_id
    with session_scope(engine) as session:
        deliveries = session.exec(select(Delivery).order_by(col(Delivery.id))).all()
        gone = session.exec(select(Story).where(col(Story.merged_into_id).is_not(None))).one()
        merge = session.exec(select(StoryMerge)).one()
    assert (merge.story_id, merge.absorbed_story_id, merge.moved) == (call.story_id, gone.id, 1)
    alerts = {(d.story_id, d.item_id) for d in deliveries if d.kind == "alert"}
    followups = {(d.story_id, d.item_id) for d in deliveries if d.kind.startswith("followup:")}
    assert alerts == {(call.story_id, call.id)}
    assert followups == {(call.story_id, link.id)}  # a thread reply under the alert, never a second alert


def test_a_split_is_never_undone_by_a_merge_live_or_after_a_restart(engine: Engine, outlets: Config) -> None:
    for name in "ABC":
        cycle(engine, outlets, [f"Presse {name}"])
    items = stored_items(engine)
    merged = items[str(DEPARTURE["link"])].story_id or 0
    live, splits_seen, _ = load_story_index(engine, NOW)
    with session_scope(engine) as session:  # the coordinator: « Pas le même sujet » on the call
        apart = split_item(session, items[str(CALL["link"])].id or 0, who="@coordination", now=NOW).new_story_id
    with session_scope(engine) as session:
        apply_splits(session, live, splits_seen)
    rebuilt, _, _ = load_story_index(engine, NOW)
    for index in (live, rebuilt):
        relink = index.place(_doc(RELINK))
        assert (relink.story, relink.linked) == (merged, {apart})  # the article links both again…
        assert index.gather(merged, relink.linked) == (merged, [])  # …and they stay apart
    cycle(engine, outlets, ["Presse E"])
    items = stored_items(engine)
    assert items[str(RELINK["link"])].story_id == merged
    assert items[str(CALL["link"])].story_id == apart
    with session_scope(engine) as session:
        assert merges.merge_count(session) == 1  # the first merge only


def test_another_workers_merge_reaches_a_live_index(engine: Engine, outlets: Config) -> None:
    cycle(engine, outlets, ["Presse A"])
    cycle(engine, outlets, ["Presse B"])
    items = stored_items(engine)
    departure, call = items[str(DEPARTURE["link"])].story_id, items[str(CALL["link"])].story_id
    stale, _, merges_seen = load_story_index(engine, NOW)  # a worker's index, built before the merge
    cycle(engine, outlets, ["Presse C"])  # another worker stores the linking article
    assert stale.find_story(_doc(CALL_AGAIN)) == call
    with session_scope(engine) as session:
        seen = apply_merges(session, stale, merges_seen)
        assert apply_merges(session, stale, seen) == seen  # applied once
    assert stale.find_story(_doc(CALL_AGAIN)) == departure


def test_a_batch_planned_on_a_story_merged_meanwhile_follows_the_merge(
    engine: Engine, outlets: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    cycle(engine, outlets, ["Presse A"])
    cycle(engine, outlets, ["Presse B"])
    items = stored_items(engine)
    departure, call = items[str(DEPARTURE["link"])].story_id, items[str(CALL["link"])].story_id
    stale = load_story_index(engine, NOW)
    cycle(engine, outlets, ["Presse C"])
    # The merge lands between the moment a worker brought its index up to date and the moment it writes.
    monkeypatch.setattr(pipeline, "load_story_index", lambda _engine, _now: stale)
    monkeypatch.setattr(pipeline, "apply_merges", lambda _session, _index, seen: seen)
    cycle(engine, outlets, ["Presse D"])
    assert stored_items(engine)[str(CALL_AGAIN["link"])].story_id == departure != call
    with session_scope(engine) as session:
        gone = session.get(Story, call)
        assert gone is not None and gone.item_count == 0


# --- Slack: one alert per story, and a word in the thread of the one merged away ------------------------------------


@pytest.fixture
def alerted(real_config: Config, server: LocalServer) -> Config:
    """Three outlets: two alerted stories of one event, then the article that links them."""
    for name, entries in (("a", [_cited(DEPARTURE)]), ("b", [_cited(CALL)]), ("c", [LINK])):
        server.route(f"/{name}.xml", rss(f"Presse {name.upper()}", entries))
    return config_with_sources(
        real_config, *({"name": f"Presse {name}", "url": server.url(f"/{name.lower()}.xml")} for name in "ABC")
    )


def test_the_merged_away_alert_says_in_its_thread_where_the_news_goes_on(engine: Engine, alerted: Config) -> None:
    with FakeSlack(configured_channels(alerted)) as slack:
        sender = SlackSender(TOKEN, slack.base_url)
        cycle(engine, alerted, ["Presse A"])
        cycle(engine, alerted, ["Presse B"])
        morning = NOW + timedelta(hours=2)  # past the quiet hours
        assert deliver(engine, alerted, sender, owner="test", now=morning).sent == 4  # two stories, two channels each
        alerts = {
            (channel, message["text"].split(" — ")[0]): message["ts"]
            for channel, messages in slack.messages.items()
            for message in messages
        }
        cycle(engine, alerted, ["Presse C"])  # the linking article: the call's story goes into the departure's
        later = deliver(engine, alerted, sender, owner="test", now=morning + timedelta(hours=1))
        replies = {channel: messages[2:] for channel, messages in slack.messages.items() if messages}
    assert later.sent == 4 and len(replies) == 2  # in each of the two channels: the notice and the follow-up
    merged = "Même événement qu'une autre alerte : la suite de ce sujet part désormais dans son fil."
    for channel, in_channel in replies.items():
        (notice,) = [reply for reply in in_channel if reply["text"] == merged]
        assert notice["thread_ts"] == alerts[(channel, str(CALL["title"]))]
        shown = json.dumps(notice["blocks"], ensure_ascii=False)
        assert f"L'alerte : <{DEPARTURE['link']}|{DEPARTURE['title']}>" in shown
        assert f"Relié par : <{LINK['link']}|{LINK['title']}>" in shown
        # The departure's thread takes the news, with the outlets its alert had not named.
        (follow_up,) = [reply for reply in in_channel if reply["text"] != merged]
        assert follow_up["thread_ts"] == alerts[(channel, str(DEPARTURE["title"]))]
        assert follow_up["text"] == "Aussi dans : Presse B, Presse C"


def test_a_follow_up_planned_before_the_merge_goes_on_under_the_surviving_alert(
    engine: Engine, alerted: Config, server: LocalServer
) -> None:
    """The call's story gained an outlet (its follow-up waiting for the end of its interval) when the linking article
    merged it: that news goes where the notice sends readers, the departure's thread, not under the call's alert."""
    server.route("/d.xml", rss("Presse D", [CALL_AGAIN]))
    config = config_with_sources(
        alerted,
        *({"name": source.name, "url": source.url} for source in alerted.sources),
        {"name": "Presse D", "url": server.url("/d.xml")},
    )
    with FakeSlack(configured_channels(config)) as slack:
        sender = SlackSender(TOKEN, slack.base_url)
        cycle(engine, config, ["Presse A"])
        cycle(engine, config, ["Presse B"])
        morning = NOW + timedelta(hours=2)  # past the quiet hours
        assert deliver(engine, config, sender, owner="test", now=morning).sent == 4
        alerts = {
            (channel, message["text"].split(" — ")[0]): message["ts"]
            for channel, messages in slack.messages.items()
            for message in messages
        }
        cycle(engine, config, ["Presse D"])  # the call told again: a follow-up of the call's story, not yet due
        cycle(engine, config, ["Presse C"])  # the linking article: the call's story goes into the departure's
        later = deliver(engine, config, sender, owner="test", now=morning + timedelta(hours=1))
        replies = {channel: messages[2:] for channel, messages in slack.messages.items() if messages}
    merged = "Même événement qu'une autre alerte : la suite de ce sujet part désormais dans son fil."
    assert len(replies) == 2 and (later.sent, later.notices, later.follow_ups) == (4, 2, 2)
    for channel, in_channel in replies.items():
        under_call = [reply for reply in in_channel if reply["thread_ts"] == alerts[(channel, str(CALL["title"]))]]
        assert [reply["text"] for reply in under_call] == [merged]
        # One reply in the departure's thread names every outlet its alert had not (in the order they told it): the
        # call's second outlet too.
        (follow_up,) = [reply for reply in in_channel if reply["text"] != merged]
        assert follow_up["thread_ts"] == alerts[(channel, str(DEPARTURE["title"]))]
        assert follow_up["text"] == "Aussi dans : Presse B, Presse D, Presse C"
    with session_scope(engine) as session:
        assert [row for row in outbox.deliveries(session) if row.status in ("pending", "sending")] == []


def test_an_alert_not_sent_before_its_story_was_merged_is_not_sent(engine: Engine, alerted: Config) -> None:
    for name in "ABC":
        cycle(engine, alerted, [f"Presse {name}"])
    with FakeSlack(configured_channels(alerted)) as slack:
        report = deliver(
            engine, alerted, SlackSender(TOKEN, slack.base_url), owner="test", now=NOW + timedelta(hours=1)
        )
        sent = slack.all_messages()
    # One alert per channel, the departure's, naming every outlet; the call's alert, its notice and the reply that
    # would name outlets the alert already shows go nowhere.
    assert report.sent == len(sent) == 2
    assert {message["text"].split(" — ")[0] for message in sent} == {DEPARTURE["title"]}
    assert all("Presse A, Presse B, Presse C" in message["text"] for message in sent)
    with session_scope(engine) as session:
        pending = [row for row in outbox.deliveries(session) if row.status in ("pending", "sending")]
    assert pending == []


def test_an_alert_tried_before_the_merge_still_goes_out(engine: Engine, alerted: Config) -> None:
    """A first attempt may have posted the call's alert before its process died: it is looked up, never dropped."""
    for name in "ABC":
        cycle(engine, alerted, [f"Presse {name}"])
    with session_scope(engine) as session:
        absorbed = session.exec(select(Story).where(col(Story.merged_into_id).is_not(None))).one().id
        for row in outbox.deliveries(session):
            if row.kind == "alert" and row.story_id == absorbed:
                row.attempts = 1  # claimed once already, its outcome unknown
    with FakeSlack(configured_channels(alerted)) as slack:
        deliver(engine, alerted, SlackSender(TOKEN, slack.base_url), owner="test", now=NOW + timedelta(hours=1))
        alerts = [message["text"].split(" — ")[0] for message in slack.all_messages() if not message["thread_ts"]]
    assert sorted(alerts) == sorted([DEPARTURE["title"], CALL["title"]] * 2)  # each in its two channels


def test_the_notice_names_the_other_channel_or_says_there_is_no_alert_to_follow() -> None:
    linking = ("Un titre avec <@U123> et *gras*", "https://presse-c.test/lien")
    text, blocks = merged_message(
        ("L'alerte", "https://presse-a.test/a"), "#veille-hopital", linking, "#on-parle-de-nous"
    )
    assert (
        text
        == "Même événement qu'une autre alerte dans #veille-hopital : la suite de ce sujet part désormais dans son fil."
    )
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "<@U123>" not in shown and "&lt;@U123&gt;" in shown  # a title never pings anyone
    text, blocks = merged_message(None, None, linking, "#on-parle-de-nous")
    assert text == "Même événement qu'un autre sujet, où se poursuit désormais celui-ci."
    assert len(blocks) == 2  # the text, and the article that linked them


def test_the_digest_marks_as_a_follow_up_a_story_that_absorbed_one_of_an_earlier_digest(
    engine: Engine, alerted: Config
) -> None:
    for name in "AB":
        cycle(engine, alerted, [f"Presse {name}"])
    items = stored_items(engine)
    call = items[str(CALL["link"])].story_id or 0
    with session_scope(engine) as session:
        record_digest_stories(session, NOW.date() - timedelta(days=1), [call])  # the call, told yesterday
    cycle(engine, alerted, ["Presse C"])  # merged into the departure's story today
    survivor = stored_items(engine)[str(DEPARTURE["link"])].story_id or 0
    with session_scope(engine) as session:
        assert outbox.stories_in_earlier_digests(session, [survivor], NOW.date()) == {survivor}
        assert outbox.stories_in_earlier_digests(session, [survivor], NOW.date() - timedelta(days=1)) == set()
        labels = {key: topic.label for key, topic in alerted.topics.items()}
        digest = build_digest(session, NOW - timedelta(hours=1), NOW + timedelta(minutes=5), labels, PARIS)
    (entry,) = [entry for entry in digest.entries if entry.story_id == survivor]
    # The two alerted articles, once (the linking one scores under the digest's threshold), marked « suite ».
    assert entry.follow_up and entry.item_count == 2
    assert {entry.url, *(other.url for other in entry.others)} == {DEPARTURE["link"], CALL["link"]}


def test_the_command_lists_the_merges_to_read_again(
    engine: Engine, outlets: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    none = _watcher(engine, monkeypatch, *AT_NOW, "stories", "merges")
    assert (none.exit_code, none.output) == (0, "Aucune fusion de sujets ces 7 derniers jours.\n")
    for name in "ABC":
        cycle(engine, outlets, [f"Presse {name}"])
    items = stored_items(engine)
    departure, call, link = (items[str(entry["link"])] for entry in (DEPARTURE, CALL, LINK))
    result = _watcher(engine, monkeypatch, *AT_NOW, "stories", "merges", "--days", "1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Fusions de sujets ces 24 dernières heures : 1",
        f"  23/11 07:00 — le sujet n° {_absorbed(engine)} (1 article) rejoint le sujet n° {departure.story_id}, "
        f"relié par l'article {link.id} « {LINK['title']} »",
        "Un article mal rattaché se sépare avec « watcher stories split ARTICLE ».",
    ]
    assert call.story_id == departure.story_id
    later = _watcher(
        engine, monkeypatch, "--now", (NOW + timedelta(days=2)).isoformat(), "stories", "merges", "--days", "1"
    )
    assert later.output == "Aucune fusion de sujets ces 24 dernières heures.\n"


def _absorbed(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(StoryMerge.absorbed_story_id)).one()
