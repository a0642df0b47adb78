"""« Observatoire » over HTTP on a real SQLite store at the desk's fixed time: the CLI's figures, files and pictures,
and the correction of an item's place and kinds of loss from its article page, guarded by role and CSRF token."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import httpx
from lxml import html
from sqlmodel import select
from typer.testing import CliRunner

from store.db import session_scope
from store.models import ObservatoryCorrection
from tests.conftest import REPO_ROOT
from tests.web import deskdata
from tests.web.conftest import Served
from tests.web.downloads import assert_download_is_the_export
from tests.web.test_security import signed_in
from watcher.cli import app
from watcher.losses import LOSS_THEME

SVG = "{http://www.w3.org/2000/svg}"
DESK_NOW = "2026-11-24T10:00"  # deskdata.NOW in Paris: the CLI is run at the desk's time


def _cli(desk: Served, *args: str) -> str:
    env = {
        "WATCHER_DATABASE_URL": str(desk.engine.url),
        "WATCHER_CONFIG": str(REPO_ROOT / "sources.yaml"),
        "COLUMNS": "250",  # rich's tables one row a line; read at each print (tests/conftest.py)
    }
    result = CliRunner().invoke(app, ["--now", DESK_NOW, *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _tables(page: str) -> dict[str, list[list[str]]]:
    """Each table of the page by id: its rows, header row included, as the text of their cells."""
    tree = html.fromstring(page)
    return {
        table.get("id"): [[" ".join(cell.text_content().split()) for cell in row] for row in table.iter("tr")]
        for table in tree.iter("table")
        if table.get("id")
    }


def _cli_tables(output: str) -> list[list[list[str]]]:
    """The tables rich printed: rows of cells between « │ » (« ┃ » in the header), each ending at its bottom border."""
    tables: list[list[list[str]]] = [[]]
    for line in output.splitlines():
        if line.startswith(("│", "┃")):
            tables[-1].append([cell.strip() for cell in re.split("[│┃]", line.strip("│┃"))])
        elif line.startswith("└"):
            tables.append([])
    return [table for table in tables if table]


def _correct(client: httpx.Client, token: str | None, item: int, **fields: str | list[str]) -> httpx.Response:
    data = {"csrf": token, **fields} if token else fields
    return client.post(f"/article/{item}/observatoire", data=data, follow_redirects=True)


def _corrections(desk: Served) -> list[tuple[int, str | None, list[str] | None, str]]:
    with session_scope(desk.engine) as session:
        rows = session.exec(select(ObservatoryCorrection).order_by(ObservatoryCorrection.item_id)).all()
        return [(row.item_id, row.commune_code, row.loss_kinds, row.who) for row in rows]


def test_a_correction_on_the_article_page_moves_the_counts_the_cli_prints_too(desk: Served) -> None:
    laval, again = desk.data.ids[deskdata.LAVAL["link"]], desk.data.ids[deskdata.LAVAL_AGAIN["link"]]
    client, token = signed_in(desk, "coordination")
    before = _tables(client.get("/observatoire?annee=2026").text)["par-lieu"]
    assert ["Pays de la Loire", "3"] in before and not any(row[0] == "Bretagne" for row in before)
    article = client.get(f"/article/{laval}").text
    assert "Laval (53130), Mayenne, Pays de la Loire" in article and "(automatique)" in article

    moved = _correct(client, token, laval, corriger="lieu", commune="Rennes")
    assert moved.status_code == 200 and "Lieu corrigé : Rennes (35238), Ille-et-Vilaine, Bretagne." in moved.text
    assert "par coordination, le 24/11/2026 10:00" in moved.text  # who and when, at the desk's time
    kinds = _correct(client, token, again, corriger="types", type=["sans_medecin", "deces_complication"])
    assert "Types de perte corrigés : décès ou complication, sans médecin." in kinds.text
    client.post(f"/article/{again}/avis", data={"csrf": token, "theme": LOSS_THEME, "avis": "pertinent"})
    assert _corrections(desk) == [
        (again, None, ["deces_complication", "sans_medecin"], "coordination"),
        (laval, "35238", None, "coordination"),
    ]

    page = client.get("/observatoire?annee=2026").text
    tables = _tables(page)
    assert ["Bretagne", "1"] in tables["par-lieu"] and ["Pays de la Loire", "2"] in tables["par-lieu"]
    row = next(row for row in tables["par-type"] if row[0] == "sans médecin")
    assert row[11] == "2" and row[-1] == "2"  # November: the national item and the corrected one
    cli = _cli(desk, "observatoire", "summary", "--year", "2026")
    bilan = " ".join(html.fromstring(page).get_element_by_id("bilan").text_content().split())
    assert re.findall(r"\d+", cli.splitlines()[0]) == ["2026", *re.findall(r"\d+", bilan)[:4]]
    assert re.findall(r"\d+", bilan)[:4] == ["4", "1", "1", "0"]  # retenus, validés, France entière, sans lieu
    by_region, by_kind, by_departement = _cli_tables(cli)
    assert by_region == tables["par-region"]
    assert by_kind == tables["par-type"]
    assert by_departement == tables["par-departement"]
    listed = html.fromstring(page).get_element_by_id(f"article-{laval}").text_content()
    assert "Rennes (35238), Ille-et-Vilaine, Bretagne corrigé" in " ".join(listed.split())


def test_the_downloads_are_the_cli_exports_byte_for_byte(desk: Served, tmp_path: Path) -> None:
    client, _ = signed_in(desk, "lecture")
    page = client.get("/observatoire?annee=2026").text
    for fmt in ("csv", "json", "xlsx"):
        assert f'href="/observatoire/2026.{fmt}"' in page
        exported = tmp_path / f"observatoire.{fmt}"
        _cli(desk, "observatoire", "export", "--from", "2026-01-01", "--to", "2026-12-31", "--format", fmt, "--out",
             str(exported))  # fmt: skip
        downloaded = client.get(f"/observatoire/2026.{fmt}")
        assert_download_is_the_export(downloaded, exported, f"observatoire-2026.{fmt}")
    assert deskdata.LAVAL["link"].encode() in client.get("/observatoire/2026.json").content
    empty = client.get("/observatoire/2019.csv")
    assert empty.status_code == 200 and empty.content.count(b"\r\n") == 1  # the header row only


def test_the_pictures_are_svg_documents_with_their_titles(desk: Served) -> None:
    client, _ = signed_in(desk, "lecture")
    page = client.get("/observatoire?annee=2026")
    policy = page.headers["content-security-policy"]
    assert "img-src 'self'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    tree = html.fromstring(page.text)
    map_img, chart_img = tree.get_element_by_id("map"), tree.get_element_by_id("chart")
    assert (
        map_img.get("src") == "/observatoire/2026/carte.svg" and chart_img.get("src") == "/observatoire/2026/mois.svg"
    )
    assert "Pays de la Loire : 3" in map_img.get("alt") and "nov. : 4" in chart_img.get("alt")
    for src, gid, title in (
        ("/observatoire/2026/carte.svg", "region-52", "Pays de la Loire : 3 articles"),
        ("/observatoire/2026/carte.svg?niveau=departement", "departement-53", "Mayenne : 3 articles"),
        (
            "/observatoire/2026/mois.svg",
            "mois-11-fermeture_transfert",
            "novembre : 4 articles « fermeture, transfert »",
        ),
    ):
        answer = client.get(src)
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
        assert answer.headers["x-content-type-options"] == "nosniff"
        svg = ElementTree.fromstring(answer.content)
        assert svg.tag == f"{SVG}svg"
        group = next(g for g in svg.iter(f"{SVG}g") if g.get("id") == gid)
        assert group.findtext(f"{SVG}title") == title
        assert not list(svg.iter(f"{SVG}script"))
    departements = html.fromstring(client.get("/observatoire?annee=2026&niveau=departement").text)
    assert departements.get_element_by_id("map").get("src") == "/observatoire/2026/carte.svg?niveau=departement"
    assert ["Mayenne (53)", "3"] in _tables(html.tostring(departements, encoding="unicode"))["par-lieu"]


def test_wrong_input_gets_a_french_message_and_the_guards_hold(desk: Served) -> None:
    laval = desk.data.ids[deskdata.LAVAL["link"]]
    reader, reader_token = signed_in(desk, "lecture")
    article = reader.get(f"/article/{laval}").text
    assert "Laval (53130), Mayenne, Pays de la Loire" in article and "/observatoire" in article
    assert f'action="/article/{laval}/observatoire"' not in article
    refused = _correct(reader, reader_token, laval, corriger="lieu", commune="Rennes")
    assert refused.status_code == 403 and "ne permet pas cette action" in refused.text
    client, token = signed_in(desk, "coordination")
    assert _correct(client, None, laval, corriger="lieu", commune="Rennes").status_code == 403  # no CSRF token
    cases = [
        ({"corriger": "lieu", "commune": "Atlantide"}, "Correction refusée : commune inconnue « Atlantide »"),
        ({"corriger": "lieu", "commune": "Saint-Denis"}, "« Saint-Denis » désigne 4 communes"),
        ({"corriger": "lieu", "departement": "99"}, "département inconnu « 99 »"),
        ({"corriger": "lieu", "commune": "Rennes", "region": "Corse"}, "la commune « Rennes » n&#39;est pas dans"),
        ({"corriger": "lieu", "commune": "Rennes", "national": "oui"}, "un lieu ou la France entière, pas les deux"),
        ({"corriger": "lieu", "commune": " "}, "rien à corriger : indiquez une commune"),
        ({"corriger": "types", "type": ["sans_medecin", "malchance"]}, "type de perte inconnu « malchance »"),
        ({"corriger": "lieu", "commune": "<script>alert(1)</script>"}, "« &lt;script&gt;alert(1)&lt;/script&gt; »"),
    ]
    for fields, message in cases:
        answer = _correct(client, token, laval, **fields)
        assert answer.status_code == 200 and message in answer.text, fields
        assert 'class="flash erreur"' in answer.text and "<script>alert(1)" not in answer.text
    assert _corrections(desk) == []
    answer = _correct(client, token, laval, corriger="tout")
    assert answer.status_code == 400 and "Correction inconnue « tout » : « lieu » ou « types » attendu." in answer.text
    answer = _correct(client, token, 999999, corriger="lieu", commune="Rennes")
    assert answer.status_code == 404 and "Article n° 999999 introuvable" in answer.text
    placed = _correct(client, token, laval, corriger="lieu", commune="Saint-Denis", departement="974")
    assert "Lieu corrigé : Saint-Denis (97411), La Réunion, La Réunion." in placed.text
    emptied = _correct(client, token, laval, corriger="types")  # every box unticked: no kind of loss
    assert "Types de perte corrigés : aucun." in emptied.text
    assert _corrections(desk) == [(laval, "97411", [], "coordination")]
    for path, status, message in (
        ("/observatoire?annee=26", 400, "Année invalide « 26 »"),
        ("/observatoire?niveau=commune", 400, "Niveau inconnu « commune »"),
        ("/observatoire/2026.pdf", 404, "Format inconnu « pdf »"),
        ("/observatoire/26/carte.svg", 400, "Année invalide « 26 »"),
    ):
        answer = client.get(path)
        assert answer.status_code == status and message in answer.text, path
    assert httpx.get(desk.url + "/observatoire/2026/carte.svg").status_code == 303  # signed out: to the sign-in page


def test_hostile_titles_are_escaped_on_the_observatoire(desk: Served) -> None:
    client, _ = signed_in(desk, "lecture")
    page = client.get("/observatoire?annee=2026").text
    hostile = desk.data.ids[deskdata.HOSTILE["link"]]
    assert "<script>alert('titre')" not in page and "<img src=x" not in page
    assert f'<a href="/article/{hostile}">Urgences &lt;script&gt;alert(&#39;titre&#39;)&lt;/script&gt;' in page
    tree = html.fromstring(page)
    assert not tree.xpath("//main//script") and not tree.xpath("//main//img[@onerror]")
