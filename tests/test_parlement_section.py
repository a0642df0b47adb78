"""The digest's « Parlement » section, rendered from the corpus fixtures' typed items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from alerts.digest import Digest, DigestEntry, DigestSection, parlement_entry, render
from alerts.parlement import ParlementEntry, headline
from store.queries import WindowCounts
from watcher.parse.parliament import detect_format, parse_parliament

FIXTURES = (
    "parliament-zam/an/1408-CION-SOC/AS1.xml",
    "parliament-zam/an/1255/398.xml",
    "parliament-regardscitoyens/anpy/questions/q14_14-47351QE.xml",
    "parliament-zam/senat/jeu_complet_2019-2020_139.csv",
    "parliament-zam/an/dossier-DLR5L15N36030-plfss2018.json",
)


def fixture_entries(corpus: Path) -> list[ParlementEntry]:
    entries = []
    for relative in FIXTURES:
        path = corpus / relative
        body = path.read_bytes()
        parsed, _ = parse_parliament(body, str(path), detect_format(body, path.name))  # type: ignore[arg-type]
        for entry in parsed[:2]:
            fields = entry.parliament
            entries.append(
                ParlementEntry(
                    kind=fields.kind,
                    chamber=fields.chamber,
                    author=fields.author,
                    group=fields.group,
                    bill=fields.bill,
                    number=fields.number,
                    outcome=fields.outcome,
                    day=fields.date,
                    title=entry.title,
                    url=entry.link or "",
                )
            )
    return entries


def render_parlement(entries: list[ParlementEntry], fmt: str) -> str:
    """A digest whose only section is « Parlement », rendered as the group receives it."""
    digest_entries = [
        parlement_entry(
            DigestEntry(title=e.title, url=e.url, summary="", outlets=[e.chamber_label or "Parlement"], score=0,
                        reason="", published=e.day_label or "", mentions=[], item_count=1),
            e,
        )
        for e in entries
    ]  # fmt: skip
    sections = [DigestSection("parlement", "Parlement", digest_entries)] if entries else []
    end = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    digest = Digest(date(2026, 11, 23), end, end, ZoneInfo("Europe/Paris"), sections, WindowCounts(0, 0, 0))
    return render(digest, fmt)


def render_fixtures_section(corpus: Path, fmt: str) -> str:
    return render_parlement(fixture_entries(corpus), fmt)


def test_markdown_section_lists_typed_lines(corpus: Path) -> None:
    markdown = render_fixtures_section(corpus, "md")
    # Below « À lire », one line a document: its typed headline, then chamber, date and tracked bill.
    assert "### Parlement (7)" in markdown
    for line in (
        "Amendement n° AS1 (M. Joël Aviragnet, groupe SOC) au PLFSS 2019 — retiré",
        "Amendement n° II-398 (Mme Sabine Rubin, groupe LFI) au PLF 2019 — rejeté",
        "Question écrite n° 47351 (M. François Cornut-Gentille, groupe Les Républicains) — réponse publiée",
        "Amendement n° I-744 (M. Éblé, groupe socialiste et républicain) au texte n° 139 (2019-2020)",
        "Texte n° 269 — PLFSS 2018",
        "Rapport n° 316 sur le PLFSS 2018",
    ):
        assert line in markdown, line
    assert "Assemblée nationale · 21/11/2018" in markdown
    assert "Ã" not in markdown


def test_html_section_escapes_and_links(corpus: Path) -> None:
    html = render_fixtures_section(corpus, "html")
    assert "Amendement n° AS1 (M. Joël Aviragnet, groupe SOC) au PLFSS 2019 — retiré" in html
    assert 'href="https://questions.assemblee-nationale.fr/q14/14-47351QE.htm"' in html
    hostile = ParlementEntry(
        "amendement", "an", "<b>M. X</b>", None, "PLFSS 2027", "1", None, None, "t", "https://x.test"
    )
    assert "&lt;b&gt;M. X&lt;/b&gt;" in render_parlement([hostile], "html")
    assert "\\<b\\>M. X\\</b\\>" in render_parlement([hostile], "md")


def test_headline_follows_the_example_and_leaves_out_unknowns() -> None:
    entry = ParlementEntry(
        kind="amendement", chamber="an", author="M. X", group="Y", bill="PLFSS 2027", number="1234",
        outcome="rejeté", day=date(2026, 10, 21), title="…", url="https://x.test",
    )  # fmt: skip
    assert headline(entry) == "Amendement n° 1234 (M. X, groupe Y) au PLFSS 2027 — rejeté"
    bare = ParlementEntry("amendement", "senat", None, None, None, "12", None, None, "…", "https://x.test")
    assert headline(bare) == "Amendement n° 12"
    agenda = ParlementEntry("agenda", "an", None, None, None, None, None, None, "Séance publique", "https://x.test")
    assert headline(agenda) == "Séance publique"
    assert "Parlement" not in render_parlement([], "md") and "Parlement" not in render_parlement([], "html")
