"""Source health: the pure verdicts, the store query on both backends, the CLI table and the digest partials."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from store.db import make_engine, session_scope, upgrade
from store.health import PublishedDay, SourceHealthRow, source_health_rows
from store.models import Item, Source
from tests.conftest import REPO_ROOT
from watcher.cli import app
from watcher.health import HealthStatus, assess, rhythm_phrase

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _source(**state: object) -> Source:
    defaults: dict[str, object] = {
        "id": 1,
        "name": "Le Quotidien",
        "kind": "rss",
        "url": "https://quotidien.test/rss.xml",
        "interval_seconds": 1800,
        "last_success_at": NOW - timedelta(minutes=20),
    }
    return Source(**{**defaults, **state})


def _every(per_day: int, days: int, until: datetime) -> list[datetime]:
    step = timedelta(days=1) / per_day
    return [until - step * n for n in range(per_day * days)]


def _row(source: Source, last: datetime | None, times: list[datetime]) -> SourceHealthRow:
    """The row the store gives for items published at `times`: their days, and their count over the week to NOW."""
    by_day: dict[date, list[datetime]] = {}
    for when in times:
        by_day.setdefault(when.astimezone(UTC).date(), []).append(when)
    days = [PublishedDay(day, len(ts), min(ts), max(ts)) for day, ts in sorted(by_day.items(), reverse=True)]
    return SourceHealthRow(source, last, days, sum(when >= NOW - timedelta(days=7) for when in times))


def test_silent_source_is_stale_with_its_learned_rhythm() -> None:
    last = NOW - timedelta(days=5, hours=3)
    health = assess(_row(_source(), last, _every(20, 21, last)), NOW, PARIS)
    assert health.status == HealthStatus.STALE and health.broken
    assert health.verdict == "aucun article depuis 5 jours alors que la source en publie ~20 par jour"
    assert health.items_per_week == 38  # the two days before the silence began


def test_regular_source_is_healthy_and_its_week_counted() -> None:
    last = NOW - timedelta(hours=1)
    health = assess(_row(_source(), last, _every(20, 21, last)), NOW, PARIS)
    assert health.status == HealthStatus.OK and not health.broken
    assert health.rhythm == "~20 par jour" and health.items_per_week == 140
    assert health.verdict == "en bonne santé (~20 par jour)"


def test_weekly_source_is_not_stale_after_three_quiet_days() -> None:
    last = NOW - timedelta(days=3)
    recent = [last - timedelta(days=2.5 * n) for n in range(10)]
    health = assess(_row(_source(), last, recent), NOW, PARIS)
    assert health.status == HealthStatus.OK and health.rhythm == "~3 par semaine"
    later = assess(_row(_source(), last, recent), NOW + timedelta(days=9), PARIS)
    assert later.status == HealthStatus.STALE
    assert later.verdict == "aucun article depuis 12 jours alors que la source en publie ~3 par semaine"


def test_failing_source_says_how_long_and_why() -> None:
    source = _source(
        consecutive_errors=3,
        last_success_at=NOW - timedelta(days=2, hours=1),
        last_error="HTTP 503 : service indisponible pour https://quotidien.test/rss.xml",
    )
    health = assess(SourceHealthRow(source, None, []), NOW, PARIS)
    assert health.status == HealthStatus.FAILING and health.broken
    assert health.verdict == (
        "3 échecs de suite (dernier succès il y a 2 jours) : "
        "HTTP 503 : service indisponible pour https://quotidien.test/rss.xml"
    )


def test_gone_source_says_how_to_bring_it_back() -> None:
    source = _source(disabled_reason="flux supprimé définitivement (HTTP 410)", disabled_at=NOW - timedelta(days=1))
    health = assess(SourceHealthRow(source, None, []), NOW, PARIS)
    assert health.status == HealthStatus.DISABLED and health.broken
    assert "désactivée depuis le 22/11/2026" in health.verdict
    assert 'watcher sources enable "Le Quotidien"' in health.verdict


def test_paused_and_new_sources_are_not_broken() -> None:
    assert assess(SourceHealthRow(_source(enabled=False), None, []), NOW, PARIS).status == HealthStatus.PAUSED
    fresh = assess(SourceHealthRow(_source(last_success_at=None), None, []), NOW, PARIS)
    assert fresh.status == HealthStatus.NEW and not fresh.broken


@pytest.mark.parametrize(
    ("per_day", "phrase"),
    [(20.4, "~20 par jour"), (1.0, "~1 par jour"), (0.43, "~3 par semaine"), (0.05, "~2 par mois")],
)
def test_rhythm_phrases(per_day: float, phrase: str) -> None:
    assert rhythm_phrase(per_day) == phrase


def _item(source_id: int, n: int, published: datetime, collected: datetime) -> Item:
    return Item(
        source_id=source_id,
        guid=f"g{source_id}-{n}",
        url=f"https://s{source_id}.test/{n}",
        title=f"Titre {n}",
        published_at=published,
        collected_at=collected,
        title_date_key=f"k{source_id}-{n}",
        content_hash=hashlib.sha256(f"{source_id}-{n}".encode()).hexdigest(),
    )


def test_store_rows_give_publication_times_per_source(engine: Engine) -> None:
    with session_scope(engine) as session:
        busy = Source(name="Bavard", kind="rss", url="https://b.test/", interval_seconds=1800, last_success_at=NOW)
        quiet = Source(name="Muet", kind="rss", url="https://m.test/", interval_seconds=1800, last_success_at=NOW)
        session.add_all([busy, quiet])
        session.flush()
        for n in range(30):
            published = NOW - timedelta(days=6, hours=n * 3)
            session.add(_item(busy.id or 0, n, published, published + timedelta(minutes=10)))
        # A publication date in the future counts as its collection time.
        session.add(_item(busy.id or 0, 99, NOW + timedelta(days=30), NOW - timedelta(days=100)))
    with session_scope(engine) as session:
        rows = {row.source.name: row for row in source_health_rows(session, NOW)}
    assert rows["Muet"].last_item_at is None and rows["Muet"].days == [] and rows["Muet"].week == 0
    busy_row = rows["Bavard"]
    assert busy_row.last_item_at == NOW - timedelta(days=6)
    # 30 items every 3 hours back from 6 days ago (09:00 UTC), over 5 days; and the one dated in the future, counted
    # on the day it was collected, 100 days ago, outside the window.
    assert [(day.day, day.items) for day in busy_row.days] == [
        (date(2026, 11, 17), 4),
        (date(2026, 11, 16), 8),
        (date(2026, 11, 15), 8),
        (date(2026, 11, 14), 8),
        (date(2026, 11, 13), 2),
    ]
    assert busy_row.days[0].last_at == NOW - timedelta(days=6) and busy_row.days[-1].first_at == NOW - timedelta(
        days=6, hours=87
    )
    assert busy_row.week == 9  # published since 09:00 seven days ago, to the second
    health = assess(busy_row, NOW, PARIS)
    assert health.status == HealthStatus.STALE
    assert health.verdict == "aucun article depuis 6 jours alors que la source en publie ~8 par jour"


def test_cli_health_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [
        {"name": "Disparu", "url": "https://disparu.test/rss.xml"},
        {"name": "Fiable", "url": "https://fiable.test/rss.xml"},
    ]
    config = tmp_path / "sources.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'veille.db'}"
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    monkeypatch.setenv("WATCHER_DATABASE_URL", database)
    monkeypatch.setenv("COLUMNS", "250")
    engine = make_engine(database)
    upgrade(engine)
    with session_scope(engine) as session:
        session.add(
            Source(
                name="Disparu",
                kind="rss",
                url="https://disparu.test/rss.xml",
                interval_seconds=1800,
                disabled_reason="flux supprimé définitivement (HTTP 410) constaté le 20/11/2026",
                disabled_at=NOW,
                consecutive_errors=1,
                last_error="HTTP 410 : flux supprimé définitivement pour https://disparu.test/rss.xml",
            )
        )
    runner = CliRunner()
    result = runner.invoke(app, ["--now", NOW.isoformat(), "sources", "health"])
    assert result.exit_code == 0, result.output
    assert "Santé des sources : 1 en panne sur 2" in result.output
    assert "désactivée depuis le 23/11/2026" in result.output and "jamais collectée" in result.output
    assert "watcher sources enable" in result.output
    # `health` reads sources.yaml beside the database and writes neither: « Fiable » is not stored yet.
    with session_scope(engine) as session:
        assert [source.name for source in session.exec(select(Source)).all()] == ["Disparu"]
        assert session.get(Source, 1).disabled_reason is not None  # type: ignore[union-attr]
    enabled = runner.invoke(app, ["--now", NOW.isoformat(), "sources", "enable", "Disparu"])
    assert enabled.exit_code == 0 and "Source « Disparu » réactivée" in enabled.output
    with session_scope(engine) as session:
        source = session.get(Source, 1)
        assert source is not None and source.disabled_reason is None and source.consecutive_errors == 0
    unknown = runner.invoke(app, ["--now", NOW.isoformat(), "sources", "enable", "Inconnue"])
    assert unknown.exit_code == 1 and "source inconnue « Inconnue »" in unknown.output
    engine.dispose()


def test_digest_partials_list_broken_sources() -> None:
    environment = Environment(
        loader=PackageLoader("alerts", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["md"] = lambda text: text.replace("*", "\\*")
    last = NOW - timedelta(days=5, hours=3)
    stale = assess(_row(_source(name="Le *Quotidien*"), last, _every(20, 21, last)), NOW, PARIS)
    markdown = environment.get_template("_sources_en_panne.md.j2").render(broken_sources=[stale])
    assert "**Sources en panne (1) :**" in markdown
    assert "- Le \\*Quotidien\\* (silencieuse) — aucun article depuis 5 jours" in markdown
    html = environment.get_template("_sources_en_panne.html").render(broken_sources=[stale])
    assert "Sources en panne (1)" in html and "Le *Quotidien*</a> (silencieuse)" in html
    assert environment.get_template("_sources_en_panne.md.j2").render(broken_sources=[]).strip() == ""
