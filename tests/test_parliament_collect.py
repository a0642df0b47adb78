"""Parliamentary collectors over real HTTP (tests/localserver.py), stored on SQLite and PostgreSQL.

NosDéputés JSON paging and documents, NosDéputés RSS paging, an AN amendment list with its
amendments, a Sénat per-bill feed in ISO-8859-15; typed fields in `parliament_item`; the
tracked-bill rule (an AME amendment on a tracked bill is an alert).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from alerts.digest import build_digest, render
from store.db import session_scope
from store.models import Item, ParliamentItem, Score
from tests.clock import NOW, frozen
from tests.conftest import config_with_sources
from tests.localserver import Answer, LocalServer
from watcher import parliament
from watcher.config import Config, DossierConfig
from watcher.parse.parliament.nosdeputes import page_url
from watcher.pipeline import Collector

FIXTURES = Path(__file__).parent / "fixtures" / "parliament"


def with_dossiers(config: Config, *dossiers: dict[str, object]) -> Config:
    return config.model_copy(update={"dossiers": [DossierConfig.model_validate(d) for d in dossiers]})


def collect(engine: Engine, config: Config) -> dict[str, object]:
    collector = Collector(engine, config, clock=frozen())
    collector.sync_sources()
    report = asyncio.run(collector.run_cycle([source.name for source in config.sources]))
    return {r.source: r for r in report.sources}


def stored(engine: Engine) -> dict[str, tuple[ParliamentItem, Score, Item]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(ParliamentItem, Score, Item)
            .join(Item, Item.id == ParliamentItem.item_id)  # type: ignore[arg-type]
            .join(Score, Score.item_id == Item.id)  # type: ignore[arg-type]
        ).all()
        return {item.title: (fields, score, item) for fields, score, item in rows}


def serve_nosdeputes_json(server: LocalServer) -> str:
    search = server.url("/recherche/aide?format=json&object_name=Amendement")
    for page, name in ((1, "nosdeputes-search-p1.json"), (2, "nosdeputes-search-p2.json")):
        body = (FIXTURES / name).read_text(encoding="utf-8").replace("{base}", server.base_url).encode()
        path = (
            page_url(search, page).removeprefix(server.base_url) if page > 1 else search.removeprefix(server.base_url)
        )
        server.route(path, Answer(body, headers={"Content-Type": "text/plain; charset=utf-8"}))
    server.route("/api/document/Amendement/99001/json", (FIXTURES / "nosdeputes-amendement.json").read_bytes())
    server.route("/api/document/QuestionEcrite/99002/json", (FIXTURES / "nosdeputes-question.json").read_bytes())
    # 99003 is not served: one missing document must not lose the others
    return search


def test_nosdeputes_json_pages_and_documents_tracked_ame_alert(
    engine: Engine, server: LocalServer, real_config: Config
) -> None:
    search = serve_nosdeputes_json(server)
    config = with_dossiers(
        config_with_sources(real_config, {"name": "NosDéputés AME", "kind": "nosdeputes", "url": search,
                                          "category": "parlement"}),
        {"label": "PLFSS 2027", "an_textes": [1234]},
    )  # fmt: skip
    report = collect(engine, config)["NosDéputés AME"]
    assert report.error is None and report.new == 2
    assert server.hits["/recherche/aide?format=json&object_name=Amendement&page=2"] == 1
    assert server.hits["/api/document/Amendement/99003/json"] == 1

    rows = stored(engine)
    fields, score, item = rows["Amendement n° 2107 — Article 12"]
    assert (fields.kind, fields.chamber, fields.author, fields.number, fields.outcome) == (
        "amendement", "an", "Mme Camille Exemple", "2107", "rejeté"
    )  # fmt: skip
    assert (fields.bill, fields.tracked, str(fields.day)) == ("PLFSS 2027", "PLFSS 2027", "2025-10-21")
    assert item.url == "https://www.assemblee-nationale.fr/dyn/17/amendements/1234/AN/2107"
    assert score.decision == "alert"
    assert score.why[0] == "amendement sur le texte suivi « PLFSS 2027 » (Aide médicale d'État (AME)) → alerte"
    question, _, _ = rows[
        "Question écrite n° 8123 (Ministère du travail, de la santé, des solidarités et des familles)"
    ]
    assert (question.kind, question.tracked) == ("question_ecrite", None)

    labels = {key: topic.label for key, topic in config.topics.items()}
    with session_scope(engine) as session:
        digest = build_digest(
            session, NOW - timedelta(hours=1), NOW + timedelta(minutes=1), labels, ZoneInfo("Europe/Paris")
        )
    markdown = render(digest, "md")  # two documents: both in « À lire », under the Parlement label
    assert "· Parlement · **[Amendement n° 2107 (Mme Camille Exemple) au PLFSS 2027 — rejeté]" in markdown
    alerted = [entry.alert for entry in digest.top]
    assert alerted == sorted(alerted, reverse=True)  # the alerts first
    assert next(entry for entry in digest.top if "2107" in entry.title).alert

    # A second cycle: same body, nothing fetched again, nothing duplicated.
    again = collect(engine, config)["NosDéputés AME"]
    assert again.new == 0 and server.hits["/api/document/Amendement/99001/json"] == 1


def test_same_amendment_without_a_tracked_bill_is_not_raised(
    engine: Engine, server: LocalServer, real_config: Config
) -> None:
    search = serve_nosdeputes_json(server)
    config = config_with_sources(real_config, {"name": "NosDéputés AME", "kind": "nosdeputes", "url": search})
    collect(engine, config)
    fields, score, _ = stored(engine)["Amendement n° 2107 — Article 12"]
    assert fields.tracked is None and fields.bill == "texte n° 1234"
    assert score.decision != "alert" and not any("texte suivi" in why for why in score.why)


def test_nosdeputes_rss_pages_until_a_known_item(engine: Engine, server: LocalServer, real_config: Config) -> None:
    search = server.url("/recherche/aide?format=rss")
    page1 = (FIXTURES / "nosdeputes-search.rss").read_bytes()
    older = page1
    for old, new in (
        (b"2107", b"1999"),
        (b"8123", b"7001"),
        (b"99001", b"88001"),
        (b"99002", b"88002"),
        (b"2025-10-14", b"2025-10-07"),
    ):
        older = older.replace(old, new)  # fmt: skip
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>NosDeputes.fr</title></channel></rss>'
    server.route("/recherche/aide?format=rss", page1)
    server.route("/recherche/aide?format=rss&page=2", older)
    server.route("/recherche/aide?format=rss&page=3", empty)
    config = config_with_sources(real_config, {"name": "NosDéputés RSS", "kind": "nosdeputes", "url": search})
    assert collect(engine, config)["NosDéputés RSS"].new == 4
    assert server.hits["/recherche/aide?format=rss&page=3"] == 1
    numbers = {fields.number for fields, _, _ in stored(engine).values()}
    assert numbers == {"2107", "8123", "1999", "7001"}

    # New results on page 1 next to known ones: page 2 is not read again.
    server.route(
        "/recherche/aide?format=rss",
        page1.replace(
            b"</channel>",
            b"""<item><title>Amendement N\xc2\xb0 3001</title>
      <link>http://www.nosdeputes.fr/17/amendement/1234/3001</link><author>M. Jean T\xc3\xa9moin</author>
      <pubDate>Wed, 22 Oct 2025 00:00:00 +0200</pubDate></item></channel>""",
        ),
    )
    config = config_with_sources(real_config, {"name": "NosDéputés RSS", "kind": "nosdeputes", "url": search})
    collector = Collector(engine, config, clock=frozen())
    collector.sync_sources()
    asyncio.run(collector.run_cycle(["NosDéputés RSS"]))
    assert server.hits["/recherche/aide?format=rss&page=2"] == 1
    assert stored(engine)["Amendement N° 3001"][0].author == "M. Jean Témoin"


def test_an_amendment_list_fetches_each_amendment(
    engine: Engine, server: LocalServer, real_config: Config, corpus: Path
) -> None:
    folder = corpus / "parliament-zam/an/1408-CION-SOC"
    server.route("/15/amendements/1408/CION-SOC/liste.xml", (folder / "liste.xml").read_bytes())
    server.route("/15/amendements/1408/CION-SOC/AS1.xml", (folder / "AS1.xml").read_bytes())
    config = with_dossiers(
        config_with_sources(real_config, {"name": "AN amendements PLFSS", "kind": "an_amendements",
                                          "url": server.url("/15/amendements/1408/CION-SOC/liste.xml")}),
        {"label": "PLFSS 2019", "an_dossier": "36892"},
    )  # fmt: skip
    report = collect(engine, config)["AN amendements PLFSS"]
    assert report.error is None and report.new == 1
    fields, score, item = stored(engine)["Amendement n° AS1 (Article 29)"]
    assert (fields.author, fields.group, fields.number, fields.outcome) == ("M. Joël Aviragnet", "SOC", "AS1", "retiré")
    assert fields.tracked == "PLFSS 2019"
    assert "praticiens hospitaliers" in item.summary  # scored on its exposé
    assert "hopital" in score.topics

    # After the sitting the list gives another outcome: the amendment is read again and its outcome updated.
    listing = (folder / "liste.xml").read_bytes().replace(b'sort="Retir\xc3\xa9"', b'sort="Rejet\xc3\xa9"')
    assert listing != (folder / "liste.xml").read_bytes()
    server.route("/15/amendements/1408/CION-SOC/liste.xml", listing)
    collect(engine, config)
    assert server.hits["/15/amendements/1408/CION-SOC/AS1.xml"] == 2
    assert stored(engine)["Amendement n° AS1 (Article 29)"][0].outcome == "rejeté"
    collect(engine, config)  # same list again: nothing to re-read
    assert server.hits["/15/amendements/1408/CION-SOC/AS1.xml"] == 2


def test_a_long_amendment_list_is_fetched_a_batch_per_cycle(
    engine: Engine, server: LocalServer, real_config: Config, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parliament, "AN_AMENDMENTS_PER_CYCLE", 2)
    folder = corpus / "parliament-zam/an/269"
    for path in folder.glob("*.xml"):
        server.route(f"/14/amendements/4072/AN/{path.name}", path.read_bytes())
    url = server.url("/14/amendements/4072/AN/liste.xml")
    config = config_with_sources(real_config, {"name": "AN PLFSS 2017", "kind": "an_amendements", "url": url})
    assert collect(engine, config)["AN PLFSS 2017"].new == 2
    assert collect(engine, config)["AN PLFSS 2017"].new == 2  # the same list: the next two
    assert collect(engine, config)["AN PLFSS 2017"].new == 1  # 5 amendments listed
    assert collect(engine, config)["AN PLFSS 2017"].new == 0
    assert sum(server.hits[f"/14/amendements/4072/AN/{n}.xml"] for n in (177, 270, 723, 135, 192)) == 5
    groups = {fields.number: fields.group for fields, _, _ in stored(engine).values()}
    assert groups == {"177": "Les Républicains", "270": "Les Républicains", "723": None, "135": None,
                      "192": "Les Républicains"}  # fmt: skip


def test_an_document_kind_reads_an_open_data_dossier(
    engine: Engine, server: LocalServer, real_config: Config, corpus: Path
) -> None:
    body = (corpus / "parliament-zam/an/dossier-DLR5L15N36030-plfss2018.json").read_bytes()
    url = server.route("/dyn/opendata/DLR5L15N36030.json", Answer(body, headers={"Content-Type": "application/json"}))
    config = with_dossiers(
        config_with_sources(real_config, {"name": "AN dossier PLFSS 2018", "kind": "an_document", "url": url}),
        {"label": "PLFSS 2018", "an_dossier": "DLR5L15N36030"},
    )
    report = collect(engine, config)["AN dossier PLFSS 2018"]
    assert report.error is None and report.new == 20
    rows = stored(engine)
    assert all(fields.tracked == "PLFSS 2018" for fields, _, _ in rows.values())
    assert {f.number for f, _, _ in rows.values() if f.kind == "rapport"} >= {"316", "313", "77"}


def test_senat_dossier_feed_in_iso_8859_15(
    engine: Engine, server: LocalServer, real_config: Config, corpus: Path
) -> None:
    body = (corpus / "parliament-zam/senat/doslegplfss2019.xml").read_bytes()
    url = server.route(
        "/dossier-legislatif/rss/doslegplfss2019.xml", Answer(body, headers={"Content-Type": "text/xml"})
    )
    config = with_dossiers(
        config_with_sources(real_config, {"name": "Sénat PLFSS 2019", "kind": "senat_dossier", "url": url}),
        {"label": "PLFSS 2019", "senat_dossier": "plfss2019"},
    )
    report = collect(engine, config)["Sénat PLFSS 2019"]
    # 39 entries; the daily « Résumé des débats » of a reading is one page, updated: 34 items, 5 updates.
    assert (report.new, report.updated) == (34, 5)
    rows = stored(engine)
    assert not any("Ã" in title for title in rows)
    fields, score, _ = rows["Texte n° 25"]
    assert (fields.kind, fields.chamber, fields.outcome, fields.tracked) == ("texte", "senat", "modifié", "PLFSS 2019")
    assert score.decision in ("digest", "alert")
    assert "étape du texte suivi « PLFSS 2019 » → synthèse" in score.why or score.decision == "alert"


def test_an_rss_and_agenda_ics_are_typed(engine: Engine, server: LocalServer, real_config: Config) -> None:
    rss_url = server.route("/feeds/detail/documents-parlementaires", (FIXTURES / "an-documents.rss").read_bytes())
    ics_url = server.route(
        "/agendas/ics", Answer((FIXTURES / "an-agenda.ics").read_bytes(), headers={"Content-Type": "text/calendar"})
    )
    config = config_with_sources(
        real_config,
        {"name": "AN documents", "kind": "parlement_rss", "url": rss_url},
        {"name": "AN agenda", "kind": "an_agenda_ics", "url": ics_url},
    )
    reports = collect(engine, config)
    assert reports["AN documents"].new == 1 and reports["AN agenda"].new == 2
    rows = stored(engine)
    report, _, _ = rows["Rapport n° 1999"]
    assert (report.kind, report.chamber, report.number, report.author) == ("rapport", "an", "1999", "M. Paul Exemple")
    agenda = [fields for title, (fields, _, _) in rows.items() if title.startswith("Séance publique")]
    assert [(a.kind, str(a.day)) for a in agenda] == [("agenda", "2026-11-24")]
