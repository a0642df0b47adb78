"""The same inputs give the same result: the demo with and without worker processes, feeds answering in any order.

Issue: two runs of `watcher demo` gave 64 and 61 subjects, « On parle de nous (4) » then « (3) ». The story an item
joins, the item that opens it, and the alerts within the day's budget depended on the order feeds answered in.
"""

from __future__ import annotations

import difflib
import random
import socket
import time
from collections import Counter
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from store.db import make_engine, session_scope
from store.models import Item, Score
from watcher import pipeline
from watcher.config import Config
from watcher.demo import server as demo_server
from watcher.demo.runner import run_demo
from watcher.fetch import Fetcher

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=ZoneInfo("Europe/Paris"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(real_config: Config, out: Path, *, workers: bool, seed: int, port: int, monkeypatch: pytest.MonkeyPatch):
    """One demo; each feed answers after a delay drawn from `seed`, so that every run sees another order."""
    delays = random.Random(seed)
    answer = demo_server._QuietHandler.do_GET

    def slow_answer(handler: demo_server._QuietHandler) -> None:
        time.sleep(delays.uniform(0, 0.3))
        answer(handler)

    monkeypatch.setattr(demo_server._QuietHandler, "do_GET", slow_answer)
    result = run_demo(real_config, out, now=NOW, workers=workers, port=port)
    monkeypatch.setattr(demo_server._QuietHandler, "do_GET", answer)
    engine = make_engine(f"sqlite:///{result.database}")
    try:
        with session_scope(engine) as session:
            rows = session.exec(select(Item, Score).join(Score)).all()
            by_story: dict[int | None, list[str]] = {}
            for item, _score in rows:
                by_story.setdefault(item.story_id, []).append(item.url)
            stories = sorted(tuple(sorted(urls)) for urls in by_story.values())
            judged = {
                item.url: (score.score, score.decision, tuple(score.mentions), tuple(score.member_mentions))
                for item, score in rows
            }
    finally:
        engine.dispose()
    digests = {path.suffix: path.read_bytes() for path in result.files}
    return digests, stories, judged


def test_the_demo_gives_the_same_digest_whatever_the_workers_and_the_order_feeds_answer_in(
    real_config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _free_port()  # one address for every run: the broken feed's error names it in the digest
    runs = [
        _run(real_config, tmp_path / f"{mode}-{seed}", workers=workers, seed=seed, port=port, monkeypatch=monkeypatch)
        for mode, workers in (("0", False), ("workers", True))
        for seed in (1, 2)
    ]
    first_digests, first_stories, first_judged = runs[0]
    assert set(first_digests) == {".html", ".md"}
    for digests, stories, judged in runs[1:]:
        # byte for byte, HTML and Markdown; a failure shows how the Markdown differs
        assert digests == first_digests, "\n".join(
            difflib.unified_diff(
                first_digests[".md"].decode().splitlines(), digests[".md"].decode().splitlines(), lineterm=""
            )
        )
        assert stories == first_stories  # item by item
        assert judged == first_judged


def test_the_demo_gives_the_same_result_whether_its_sources_are_claimed_one_by_one_or_all_at_once(
    real_config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue: 2 full suite runs in 8 joined « Questions au Gouvernement - Grève annoncée des médecins libéraux » to the
    # doctors' strike or left it alone. A cycle claims as many sources as it has free slots, so how many a claim
    # takes depends on when fetches end (later under load); each claim was stored in name order, and the
    # Assemblée's feed, claimed with the Sénat's or after it, was stored before or after it. One connection claims
    # the sources one by one, twenty all at once in one claim: the two ends, without relying on timing.
    port = _free_port()
    runs = []
    for connections in (1, 20):
        monkeypatch.setattr(pipeline, "Fetcher", partial(Fetcher, max_connections=connections, per_host=connections))
        runs.append(
            _run(real_config, tmp_path / str(connections), workers=False, seed=1, port=port, monkeypatch=monkeypatch)
        )
    (one_by_one_digests, one_by_one_stories, one_by_one_judged), (all_digests, all_stories, all_judged) = runs
    assert one_by_one_stories == all_stories
    assert one_by_one_judged == all_judged
    assert one_by_one_digests == all_digests


def test_the_demo_alerts_few_and_its_scores_rank(real_config: Config, tmp_path: Path) -> None:
    result = run_demo(real_config, tmp_path, now=NOW, port=_free_port())
    engine = make_engine(f"sqlite:///{result.database}")
    try:
        with session_scope(engine) as session:
            kept = session.exec(select(Item.story_id, Score.score, Score.decision).join(Score)).all()
    finally:
        engine.dispose()
    kept = [row for row in kept if row[2] != "drop"]
    alerted_stories = {story for story, _score, decision in kept if decision == "alert"}
    assert 0 < len(alerted_stories) <= 15  # one Slack alert a story
    commonest_score, count = Counter(score for _story, score, _decision in kept).most_common(1)[0]
    assert count <= len(kept) / 10, f"{count} of {len(kept)} kept items score {commonest_score}"
