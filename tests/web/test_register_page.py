"""« On parle de nous » over HTTP: importing a register file as `watcher mentions import` does, and downloads that
are the CLI's exports byte for byte."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from store.db import session_scope
from store.models import PressMention
from tests.conftest import REPO_ROOT
from tests.web.conftest import Served
from tests.web.downloads import assert_download_is_the_export
from tests.web.test_security import signed_in
from watcher.cli import app
from watcher.web.pages.register import MAX_IMPORT_BYTES

IMPORT = "/on-parle-de-nous/importer"
GOOD_CSV = (
    "date;outlet;type;title;url;spokesperson;note\n"
    "2026-10-14;France Inter;radio;Le 7/9 : les déserts médicaux;;Danielle Vacher;\n"
    "juin 2026;Ouest-France;presse;Les patients chroniques s'organisent;https://www.ouest-france.fr/patients;;papier\n"
    "31/02/2026;La Croix;presse;Une date impossible;;;\n"
).encode()
GOOD_YAML = (
    "- date: 2026-09-02\n  outlet: France Culture\n  type: radio\n  title: Les Pieds sur terre\n"
    "- date: 2026-09-03\n  outlet: ''\n  title: Sans média\n"
).encode()


def _entries(desk: Served) -> list[tuple[str, str, str, str | None]]:
    with session_scope(desk.engine) as session:
        rows = session.exec(select(PressMention).order_by(PressMention.id)).all()
        return [(m.outlet, m.title, m.origin, m.decided_by) for m in rows]


def _import(client: httpx.Client, token: str | None, name: str, data: bytes) -> httpx.Response:
    form = {"annee": "2026"} | ({"csrf": token} if token is not None else {})
    return client.post(IMPORT, data=form, files={"fichier": (name, data, "text/csv")})


def test_a_register_file_imported_on_the_page_enters_the_register_once(desk: Served) -> None:
    client, token = signed_in(desk, "coordination")
    page = client.get("/on-parle-de-nous").text
    assert 'action="/on-parle-de-nous/importer"' in page and 'enctype="multipart/form-data"' in page
    before = _entries(desk)

    answer = _import(client, token, "registre.csv", GOOD_CSV)
    assert answer.status_code == 200
    assert "Import de registre.csv : 2 ajoutées, 0 déjà présente, 1 erreur." in answer.text
    assert "Ligne 4, colonne « date » : « 31/02/2026 » n&#39;est pas une date" in answer.text
    assert _entries(desk) == [
        *before,
        ("France Inter", "Le 7/9 : les déserts médicaux", "import", "coordination"),
        ("Ouest-France", "Les patients chroniques s'organisent", "import", "coordination"),
    ]
    # The year view lists them, the month-only one as its month.
    year = answer.text.split('id="annee"', 1)[1]
    assert "Le 7/9 : les déserts médicaux" in year and "Octobre 2026 <span" in year  # the latest month with entries
    assert 'href="/on-parle-de-nous?annee=2026&amp;mois=6#annee">Juin (1)</a>' in year
    june = client.get("/on-parle-de-nous", params={"annee": "2026", "mois": "6"}).text.split('id="annee"', 1)[1]
    assert "Juin 2026 <span" in june and "Les patients chroniques s&#39;organisent" in june
    assert "Le 7/9" not in june

    again = _import(client, token, "registre.csv", GOOD_CSV)
    assert "Import de registre.csv : 0 ajoutée, 2 déjà présentes, 1 erreur." in again.text
    assert len(_entries(desk)) == len(before) + 2

    yaml_answer = client.post(
        IMPORT, data={"csrf": token, "annee": "2026"}, files={"fichier": ("C:\\Registre\\radio.yaml", GOOD_YAML)}
    )
    assert "Import de radio.yaml : 1 ajoutée, 0 déjà présente, 1 erreur." in yaml_answer.text
    assert "Ligne 5, champ « outlet » : vide (le média est obligatoire)." in yaml_answer.text
    assert _entries(desk)[-1] == ("France Culture", "Les Pieds sur terre", "import", "coordination")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "registre.csv",
            "date;outlet;title\n2026-10-14;Le Progrès;Santé : les patients témoignent\n".encode("cp1252"),
            "registre.csv, ligne 2 : le fichier n&#39;est pas en UTF-8",
        ),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv, ligne 1 : le fichier n&#39;est pas en UTF-8"),
        ("vide.csv", b"", "vide.csv : le fichier est vide"),
        ("registre.csv", b"date;media;auteur\n2026-10-14;Le Monde;X\n", "colonne inconnue « auteur »"),
        ("rapport.pdf", b"%PDF-1.7", "rapport.pdf : format inconnu « .pdf »"),
        ("enorme.csv", b"date;outlet\n" + b"2026-10-14;Le Monde\n" * (MAX_IMPORT_BYTES // 20 + 1), "fichier trop gros"),
        ("", b"", "Aucun fichier choisi"),
    ],
)
def test_a_bad_register_file_is_refused_in_french_and_writes_nothing(
    desk: Served, name: str, data: bytes, message: str
) -> None:
    client, token = signed_in(desk, "coordination")
    before = _entries(desk)
    answer = _import(client, token, name, data)
    assert answer.status_code == 400
    assert message in answer.text
    assert "Traceback" not in answer.text
    assert _entries(desk) == before


def test_importing_needs_the_csrf_token_and_the_coordination_role(desk: Served) -> None:
    client, _ = signed_in(desk, "coordination")
    before = _entries(desk)
    for bad in (None, "faux"):
        answer = _import(client, bad, "registre.csv", GOOD_CSV)
        assert answer.status_code == 403 and "jeton de sécurité absent ou faux" in answer.text
    reader, reader_token = signed_in(desk, "lecture")
    assert 'action="/on-parle-de-nous/importer"' not in reader.get("/on-parle-de-nous").text
    answer = _import(reader, reader_token, "registre.csv", GOOD_CSV)
    assert answer.status_code == 403 and "ne permet pas cette action" in answer.text
    assert _entries(desk) == before
    # A request that is not a form upload at all gets a French page too.
    garbled = {"content-type": "multipart/form-data"}
    answer = client.post(IMPORT, content=b"--x\r\nnot a multipart body", headers=garbled)
    assert answer.status_code == 400 and "Formulaire d&#39;import illisible" in answer.text
    assert _entries(desk) == before


def test_the_downloads_are_the_cli_exports_byte_for_byte(desk: Served, tmp_path: Path) -> None:
    client, token = signed_in(desk, "coordination")
    _import(client, token, "registre.csv", GOOD_CSV)
    client.post("/on-parle-de-nous/1/valider", data={"csrf": token})
    runner = CliRunner()
    env = {"WATCHER_DATABASE_URL": str(desk.engine.url), "WATCHER_CONFIG": str(REPO_ROOT / "sources.yaml")}
    for fmt in ("csv", "md", "xlsx"):
        exported = tmp_path / f"registre.{fmt}"
        result = runner.invoke(
            app, ["mentions", "export", "--year", "2026", "--format", fmt, "--out", str(exported)], env=env
        )
        assert result.exit_code == 0, result.output
        downloaded = client.get(f"/on-parle-de-nous/2026.{fmt}")
        assert_download_is_the_export(downloaded, exported, f"on-parle-de-nous-2026.{fmt}")
    assert b"France Inter" in client.get("/on-parle-de-nous/2026.csv").content
