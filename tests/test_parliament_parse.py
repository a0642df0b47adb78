"""Parliamentary parsers on the real corpus: kind, author, group, bill, number, outcome, date; French accents intact."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from watcher.parse.errors import ParseError
from watcher.parse.parliament import ParliamentFormat, detect_format, parse_parliament
from watcher.parse.parliament.an import parse_amendment
from watcher.parse.parliament.models import person
from watcher.parse.parliament.nosdeputes import parse_search_json

FIXTURES = Path(__file__).parent / "fixtures" / "parliament"


def parse(path: Path) -> list:
    body = path.read_bytes()
    fmt = detect_format(body, path.name)
    assert fmt is not None, path
    entries, _ = parse_parliament(body, str(path), fmt)
    return entries


def assert_no_mojibake(entries: list) -> None:
    for entry in entries:
        text = " ".join(
            str(value)
            for value in (entry.title, entry.summary_html, entry.content_html, *entry.parliament.as_json().values())
            if value
        )
        assert "Ã" not in text and "\ufffd" not in text, text[:200]


def test_an_amendment_with_its_discussion_list(corpus: Path) -> None:
    [entry] = parse(corpus / "parliament-zam/an/1408-CION-SOC/AS1.xml")
    assert entry.parliament.as_json() == {
        "kind": "amendement",
        "chamber": "an",
        "author": "M. Joël Aviragnet",
        "group": "SOC",  # from the sibling liste.xml
        "bill": "PLFSS 2019",
        "number": "AS1",
        "outcome": "retiré",
        "date": "2018-11-21",
    }
    assert entry.link == "https://www.assemblee-nationale.fr/15/amendements/1408/CION-SOC/AS1.asp"
    assert "praticiens hospitaliers" in entry.summary_html
    assert {"an:texte:1408", "an:dossier:36892"} == set(entry.parliament.bill_refs)
    assert_no_mojibake([entry])


def test_an_amendment_group_from_organe_id_and_government_author(corpus: Path) -> None:
    [rubin] = parse(corpus / "parliament-zam/an/1255/398.xml")
    assert (rubin.parliament.author, rubin.parliament.group, rubin.parliament.number) == (
        "Mme Sabine Rubin",
        "LFI",
        "II-398",
    )
    assert (rubin.parliament.bill, rubin.parliament.outcome) == ("PLF 2019", "rejeté")
    [government] = parse(corpus / "parliament-zam/an/269/723.xml")
    assert (government.parliament.author, government.parliament.group) == ("Gouvernement", None)
    assert government.parliament.bill == "PLFSS 2017" and government.parliament.outcome == "adopté"


def test_every_corpus_amendment_parses(corpus: Path) -> None:
    files = [f for f in (corpus / "parliament-zam/an").glob("*/*.xml") if f.name != "liste.xml"]
    assert len(files) == 18
    for file in files:
        [entry] = parse(file)
        fields = entry.parliament
        assert fields.kind == "amendement" and fields.number and fields.date and fields.bill, file
        assert fields.author, file
        assert_no_mojibake([entry])


def test_surnames_in_capitals_are_tidied_part_by_part() -> None:
    assert person("Mme Hélène VAINQUEUR-CHRISTOPHE") == "Mme Hélène Vainqueur-Christophe"
    assert person("MM. Jean-Marie VANLERENBERGHE, sénateur et Olivier VÉRAN") == (
        "MM. Jean-Marie Vanlerenberghe, sénateur et Olivier Véran"
    )
    assert person("M. ÉBLÉ") == "M. Éblé" and person("  ") is None


def test_signatories_are_unescaped_twice_when_the_author_block_is_missing(corpus: Path) -> None:
    body = (corpus / "parliament-zam/an/1408-CION-SOC/AS1.xml").read_bytes()
    start, end = body.index(b"<auteur>"), body.index(b"</auteur>") + len(b"</auteur>")
    entry = parse_amendment(body[:start] + body[end:], "AS1.xml")
    assert entry.parliament.author == "M. Aviragnet"  # from « M.&amp;#160;Aviragnet »
    assert entry.parliament.group is None


def test_an_written_question(corpus: Path) -> None:
    [entry] = parse(corpus / "parliament-regardscitoyens/anpy/questions/q14_14-47351QE.xml")
    assert entry.parliament.as_json() == {
        "kind": "question_ecrite",
        "chamber": "an",
        "author": "M. François Cornut-Gentille",
        "group": "Les Républicains",
        "bill": None,
        "number": "47351",
        "outcome": "réponse publiée",
        "date": "2014-01-07",
    }
    assert entry.link == "https://questions.assemblee-nationale.fr/q14/14-47351QE.htm"
    assert "génie de l'armée de terre" in entry.summary_html
    assert_no_mojibake([entry])


def test_an_dossier_json_lists_texts_reports_and_decisions(corpus: Path) -> None:
    entries = parse(corpus / "parliament-zam/an/dossier-DLR5L15N36030-plfss2018.json")
    by_number = {(e.parliament.kind, e.parliament.number): e.parliament for e in entries}
    assert by_number[("texte", "269")].date == date(2017, 10, 11)
    assert by_number[("texte", "269")].chamber == "an"
    assert by_number[("rapport", "316")].date == date(2017, 10, 19)
    assert by_number[("texte", "29")].outcome == "adopté"  # texte adopté en 1re lecture
    assert by_number[("texte", "63")].chamber == "senat"
    assert by_number[("texte", "2017-1836")].outcome == "promulgué"
    assert by_number[("decision", "756")].outcome == "partiellement conforme"
    assert {e.parliament.bill for e in entries} == {"PLFSS 2018"}
    assert {"an:dossier:36030", "senat:dossier:plfss2018"} <= set(entries[0].parliament.bill_refs)
    assert len({e.link for e in entries}) == len(entries)  # one URL per document: nothing merged by dedup
    assert_no_mojibake(entries)


@pytest.mark.parametrize(("year", "count"), [(2018, 58), (2019, 39), (2020, 35)])
def test_senat_per_bill_feeds_in_iso_8859_15(corpus: Path, year: int, count: int) -> None:
    entries = parse(corpus / f"parliament-zam/senat/doslegplfss{year}.xml")
    assert len(entries) == count
    assert {e.parliament.bill for e in entries} == {f"PLFSS {year}"}
    assert all(e.parliament.bill_refs == (f"senat:dossier:plfss{year}",) for e in entries)
    assert_no_mojibake(entries)
    assert any("é" in e.title for e in entries)  # « Décision », « séance »: decoded from ISO-8859-15


def test_senat_feed_entries_are_typed(corpus: Path) -> None:
    entries = {e.title: e.parliament for e in parse(corpus / "parliament-zam/senat/doslegplfss2018.xml")}
    report = entries["Rapport n° 122"]
    assert (report.kind, report.chamber, report.number) == ("rapport", "senat", "122")
    assert report.author == "M. Jean-Marie Vanlerenberghe"
    assert report.date == date(2017, 11, 30)  # 2017-11-29T23:00Z is the 30th in Paris
    text = entries["Texte n° 41"]
    assert (text.kind, text.chamber, text.outcome) == ("texte", "an", "adopté définitivement")
    assert entries["Rapport n° 423"].author == "M. Olivier Véran"
    assert entries["Scrutin public n°35 du 1er décembre 2017"].kind == "scrutin"
    assert entries["Compte rendu intégral de la séance du 1er décembre 2017"].kind == "compte_rendu"
    assert entries["Amendements déposés sur le texte n°121"].kind == "amendement"
    cmp_text = next(e for e in parse(corpus / "parliament-zam/senat/doslegplfss2020.xml") if e.title == "Texte n° 133")
    assert cmp_text.link == "https://www.senat.fr/leg/pjl19-133.html"  # the feed links it as « pjl19-133.html »


def test_senat_amendment_csv_in_iso_8859_1(corpus: Path) -> None:
    path = corpus / "parliament-zam/senat/jeu_complet_2019-2020_139.csv"
    assert detect_format(path.read_bytes(), path.name) == ParliamentFormat.SENAT_AMENDMENTS_CSV
    first, second = parse(path)
    assert first.parliament.as_json() == {
        "kind": "amendement",
        "chamber": "senat",
        "author": "M. Cuypers",
        "group": None,
        "bill": "texte n° 139 (2019-2020)",
        "number": "I-2 rect.",
        "outcome": "en attente de recevabilité financière",
        "date": "2019-11-21",
    }
    assert second.parliament.author == "M. Éblé"
    assert second.parliament.group == "groupe socialiste et républicain"
    assert second.link == "https://www.senat.fr/amendements/2019-2020/139/Amdt_I-744.html"
    assert "Après l" in second.content_html or "Apr&#232;s" in second.content_html
    assert_no_mojibake([first, second])


def test_utf8_resaved_csv_reads_the_same(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "parliament-zam/senat/jeu_complet_2019-2020_139.csv"
    resaved = tmp_path / "amendements.csv"
    resaved.write_bytes(source.read_bytes().decode("iso-8859-1").encode("utf-8"))
    assert [e.parliament for e in parse(resaved)] == [e.parliament for e in parse(source)]


def test_own_fixtures_agenda_and_nosdeputes_rss() -> None:
    agenda = parse(FIXTURES / "an-agenda.ics")
    assert [e.parliament.kind for e in agenda] == ["agenda", "agenda"]
    assert agenda[0].title.startswith("Séance publique : projet de loi de financement de la sécurité sociale pour 2027")
    assert agenda[0].parliament.date == date(2026, 11, 24)
    assert "l, accès aux soins" in agenda[1].title  # escaped comma
    assert agenda[0].link != agenda[1].link
    search = parse(FIXTURES / "nosdeputes-search.rss")
    amendment, question = (e.parliament for e in search)
    assert (amendment.kind, amendment.number, amendment.author, amendment.chamber) == (
        "amendement",
        "2107",
        "Mme Camille Exemple",
        "an",
    )
    assert (question.kind, question.number, question.date) == ("question_ecrite", "8123", date(2025, 10, 14))


def test_errors_are_french_and_name_the_file(corpus: Path, tmp_path: Path) -> None:
    broken = tmp_path / "amendement.xml"
    broken.write_bytes(b'<?xml version="1.0"?><amendement><numero>1</numero>')
    with pytest.raises(ParseError, match=r"amendement\.xml : XML illisible"):
        parse_amendment(broken.read_bytes(), str(broken))
    with pytest.raises(ParseError, match=r"liste\.xml : liste d'amendements"):
        parse(corpus / "parliament-zam/an/269/liste.xml")
    csv = tmp_path / "jeu.csv"
    csv.write_bytes("sep=\r\nNuméro\tAuteur\tSort\r\n1\tM. X\r\n".encode("iso-8859-1"))
    with pytest.raises(ParseError, match=r"jeu\.csv, ligne 3 : 2 colonnes au lieu de 3"):
        parse(csv)


def test_nosdeputes_search_json_as_published_and_as_valid_json() -> None:
    published = (FIXTURES / "nosdeputes-search-p1.json").read_bytes().replace(b"{base}", b"https://www.nosdeputes.fr")
    page = parse_search_json(published, "p1")
    assert page.has_more and page.last_result == 21
    assert page.documents[0] == ("Amendement", 99001, "https://www.nosdeputes.fr/api/document/Amendement/99001/json")
    valid = (
        b'{"start": 1, "end": 1, "last_result": 1, "results": [{"document_type": "QuestionEcrite", '
        b'"document_id": 7, "document_url": "https://www.nosdeputes.fr/api/document/QuestionEcrite/7/json"}]}'
    )
    assert parse_search_json(valid, "v").documents == [
        ("QuestionEcrite", 7, "https://www.nosdeputes.fr/api/document/QuestionEcrite/7/json")
    ]
    assert parse_search_json(b"", "vide").documents == []
    with pytest.raises(ParseError, match="recherche NosDéputés illisible"):
        parse_search_json(b"<html>maintenance</html>", "https://www.nosdeputes.fr/recherche/x?format=json")
