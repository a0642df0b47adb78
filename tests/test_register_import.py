"""The register's history: `watcher mentions import` (CSV, YAML), month-only dates, and the shipped 2022–2023 file."""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from openpyxl import load_workbook
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from typer.testing import CliRunner

from store import desk as store_desk
from store.db import _alembic_config, session_scope, upgrade
from store.models import PressMention, UTCDateTime
from tests.conftest import REPO_ROOT
from watcher.cli import app
from watcher.register_import import (
    HISTORY_FILE,
    ImportReport,
    RegisterImportError,
    history,
    import_register,
    parse_date,
)

NOW = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
SHIPPED = REPO_ROOT / "watcher" / "data" / HISTORY_FILE
HEADER = "date;outlet;type;title;url;spokesperson;note\n"
runner = CliRunner()


def _import(engine: Engine, data: bytes | str, name: str = "registre.csv") -> ImportReport:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with session_scope(engine) as session:
        return import_register(session, raw, name, who="magali", now=NOW)


def _all(engine: Engine) -> list[PressMention]:
    with session_scope(engine) as session:
        return store_desk.mentions(session)


# --- the shipped history ---------------------------------------------------


def test_the_shipped_history_loads_once_on_each_backend(engine: Engine) -> None:
    first = _import(engine, history(), HISTORY_FILE)
    assert (first.added, first.present, first.errors) == (11, 0, [])
    assert first.summary() == "Import de register-2022-2023.csv : 11 ajoutées, 0 déjà présente, 0 erreur."
    again = _import(engine, history(), HISTORY_FILE)
    assert (again.added, again.present, again.errors) == (0, 11, [])
    assert again.summary() == "Import de register-2022-2023.csv : 0 ajoutée, 11 déjà présentes, 0 erreur."

    mentions = _all(engine)
    assert len(mentions) == 11
    rows = [(m.day, m.date_precision, m.outlet, m.medium) for m in mentions]
    assert rows == [
        (date(2022, 9, 1), "month", "La Veille Acteurs de Santé", "web"),
        (date(2022, 10, 1), "month", "Allo Docteurs", "web"),
        (date(2022, 10, 1), "month", "Espaceinfirmier.fr", "web"),
        (date(2022, 11, 1), "month", "L'Express", "presse"),
        (date(2022, 11, 1), "month", "Agence Presse Médicale (APM)", "presse"),
        (date(2022, 11, 16), "day", "Libération", "tribune"),
        (date(2023, 1, 1), "month", "CB News", "presse"),
        (date(2023, 2, 1), "day", "Le Monde", "tribune"),
        (date(2023, 6, 1), "month", "Viva", "presse"),
        (date(2023, 10, 13), "day", "Action Patients", "communique"),
        (date(2023, 12, 12), "day", "Action Patients", "communique"),
    ]
    titles = {m.outlet if m.medium != "communique" else m.day.isoformat(): m.title for m in mentions if m.title}
    assert titles == {
        "Libération": "Hôpital à bout de souffle",
        "Le Monde": "Patients, aidants et professionnels de santé, unissons nos voix pour défendre les principes "
        "de qualité et de sécurité des soins, ainsi que les conditions de travail des soignants",
        "2023-10-13": "La grève illimitée des médecins aura des conséquences sur la santé des personnes malades !",
        "2023-12-12": "Aide Médicale d'État, faux débat mais vraie atteinte au droit à la santé",
    }
    assert all(m.url is None for m in mentions)  # no address was invented
    assert [m.spokesperson for m in mentions if m.spokesperson] == ["Magali Leo"]
    assert {(m.status, m.origin, m.decided_by, m.created_at) for m in mentions} == {
        ("validee", "import", "magali", NOW)
    }
    with session_scope(engine) as session:
        assert len(store_desk.mentions(session, year=2022)) == 6
        assert len(store_desk.mentions(session, year=2023)) == 5


def test_the_database_refuses_a_second_copy_of_an_imported_line(engine: Engine) -> None:
    _import(engine, HEADER + "2023-06;Viva;presse;;;Magali Leo;\n")
    (viva,) = _all(engine)
    assert viva.import_key == "entry:2023-06|viva|"
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(PressMention(**viva.model_dump(exclude={"id"})))
        session.flush()


def test_the_shipped_file_is_package_data() -> None:
    package_data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]
    assert "data/*.csv" in package_data["watcher"]
    assert history() == SHIPPED.read_bytes()


# --- identity --------------------------------------------------------------


def test_identity_is_the_address_else_date_outlet_and_title_folded(sqlite_engine: Engine) -> None:
    first = _import(
        sqlite_engine,
        HEADER
        + "2024-03-05;France Inter;radio;Le téléphone sonne;https://www.radiofrance.fr/emission-1;;\n"
        + "2024-03;CB News;presse;Les patients s'organisent;;;\n",
    )
    assert (first.added, first.present) == (2, 0)
    second = _import(
        sqlite_engine,
        HEADER
        # The same address with a tracker and another title: the same entry.
        + "2024-03-06;France Inter;radio;Autre titre;https://www.radiofrance.fr/emission-1?utm_source=x;;\n"
        # Case, accents, spaces and punctuation aside: the same entry.
        + "03/2024;cb news;presse;LES PATIENTS S’ORGANISENT !;;;\n"
        # The same outlet and title on a day, not a month: another entry.
        + "2024-03-01;CB News;presse;Les patients s'organisent;;;\n"
        # Twice in one file: once.
        + "2024-04-02;Le Parisien;presse;Urgences;;;\n"
        + "2024-04-02;Le Parisien;presse;Urgences;;;\n",
    )
    assert (second.added, second.present, second.errors) == (2, 3, [])
    assert len(_all(sqlite_engine)) == 4


def test_an_entry_added_by_hand_or_detected_is_not_imported_again(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        for title, url in (("Journal de 8 h", None), ("Déserts médicaux", "https://presse.test/deserts")):
            store_desk.add_mention(
                session,
                PressMention(day=date(2024, 5, 2), outlet="RTL", title=title, url=url, medium="radio",
                             status="validee", origin="manuel", created_at=NOW),
            )  # fmt: skip
    report = _import(
        sqlite_engine,
        HEADER + "2024-05-02;RTL;radio;Journal de 8 h;;;\n2024-05-01;RTL;radio;Autre;https://presse.test/deserts;;\n",
    )
    assert (report.added, report.present) == (0, 2)


# --- CSV: separators, encodings, bad rows ----------------------------------


def test_semicolons_and_commas_read_alike(sqlite_engine: Engine, tmp_path: Path) -> None:
    semicolons = (
        "\ufeffdate;outlet;type;title;url;spokesperson;note\n"
        "2023-06-14;Le Monde;tribune;Soigner, enfin;https://lemonde.test/t;Danielle Vacher;Signée par 43 associations\n"
        "2023-06;Viva;presse;;;Magali Leo;\n"
    )
    commas = (
        "date,outlet,type,title,url,spokesperson,note\r\n"
        '14/06/2023,Le Monde,tribune,"Soigner, enfin",https://lemonde.test/t,Danielle Vacher,'
        "Signée par 43 associations\r\n"
        "06/2023,Viva,presse,,,Magali Leo,\r\n"
    )
    assert _import(sqlite_engine, semicolons).added == 2
    expected = [(m.day, m.date_precision, m.outlet, m.medium, m.title, m.url, m.spokesperson, m.note)
                for m in _all(sqlite_engine)]  # fmt: skip
    assert (
        expected[0] == (date(2023, 6, 1), "month", "Viva", "presse", "", None, "Magali Leo", None)
        and expected[1][4] == "Soigner, enfin"
    )
    assert (_import(sqlite_engine, commas).present, len(_all(sqlite_engine))) == (2, 2)
    with session_scope(sqlite_engine) as session:
        session.execute(text("DELETE FROM press_mention"))
    assert _import(sqlite_engine, commas).added == 2  # the comma file on its own gives the same entries
    assert [(m.day, m.date_precision, m.outlet, m.medium, m.title, m.url, m.spokesperson, m.note)
            for m in _all(sqlite_engine)] == expected  # fmt: skip


def test_each_bad_row_is_refused_with_its_line_and_column_and_the_good_ones_go_in(sqlite_engine: Engine) -> None:
    report = _import(
        sqlite_engine,
        "\n"  # a blank line before the header: lines still count from the top of the file
        "Date;Média;Type;Titre;Lien;Porte-parole;Note\n"
        "2023-06-14;Le Monde;presse;Bon;;;\n"
        "2023-13;Libération;presse;Mois 13;;;\n"
        "2023-06-15;RTL;podcast;Type inconnu;;;\n"
        "2023-06-16;;presse;Sans média;;;\n"
        "\n"
        "2023-06-17;France 2;tv;Adresse;lemonde.fr/article;;\n"
        "2023-06-18;France 3;tv;Un ; de trop;;;\n"
        ";;presse;Rien;;;\n"
        '2023-06-19;Ouest-France;presse;"Sur deux\nlignes";;;\n'
        "2023-06-20;La Croix;presse;Bon aussi;;;\n",
    )
    assert [str(error) for error in report.errors] == [
        "ligne 4, colonne « Date » : « 2023-13 » n'est pas une date (formats : 2023-06-14 ou 14/06/2023 pour un "
        "jour ; 2023-06, 06/2023 ou juin 2023 pour un mois)",
        "ligne 5, colonne « Type » : type de média inconnu « podcast » "
        "(attendu : presse, radio, tv, web, tribune ou communiqué)",
        "ligne 6, colonne « Média » : vide (le média est obligatoire)",
        "ligne 8, colonne « Lien » : adresse invalide « lemonde.fr/article » (elle doit commencer par http:// ou "
        "https://)",
        "ligne 9, trop de champs (8 pour 7 colonnes) : un texte qui contient « ; » doit être entre guillemets",
        "ligne 10, colonne « Date » : vide (la date est obligatoire) ; colonne « Média » : vide (le média est "
        "obligatoire)",
    ]
    assert (report.added, report.present) == (3, 0)
    assert report.summary() == "Import de registre.csv : 3 ajoutées, 0 déjà présente, 6 erreurs."
    assert [m.title for m in _all(sqlite_engine)] == ["Bon", "Sur deux lignes", "Bon aussi"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            (HEADER + "2023-06-14;Libération;presse;Hôpital;;;\n2023-06-15;L'Humanité;presse;Santé;;;\n").encode(
                "cp1252"
            ),
            "registre.csv",
            "registre.csv, ligne 2 : le fichier n'est pas en UTF-8 (« 2023-06-14;Libération;presse;Hôpital;;; », "
            "sans doute en Windows-1252, l'encodage par défaut d'Excel) ; enregistrez-le en « CSV UTF-8 » (Excel) "
            "ou avec le jeu de caractères « Unicode (UTF-8) » (LibreOffice)",
        ),
        (
            (HEADER + "2023-06-14;Libération;presse;Hôpital;;;\n").encode("utf-16"),
            "registre.csv",
            "registre.csv : le fichier est en UTF-16 ; enregistrez-le en UTF-8 (Excel : « CSV UTF-8 »)",
        ),
        (b"", "registre.csv", "registre.csv : le fichier est vide"),
        (b"\xef\xbb\xbf\n  \n", "registre.csv", "registre.csv : le fichier est vide"),
        (HEADER.encode(), "registre.csv", "registre.csv : aucune parution dans le fichier"),
        (
            b"date;outlet;auteur;titre\n2023-06;Viva;Magali;Entretien\n",
            "registre.csv",
            "registre.csv, ligne 1 : colonne inconnue « auteur » ; la première ligne doit nommer les colonnes : "
            "date;outlet;type;title;url;spokesperson;note (séparateur « ; » ou « , »)",
        ),
        (
            b"2023-06;Viva;presse\n2023-07;Elle;presse\n",
            "registre.csv",
            "registre.csv, ligne 1 : colonnes inconnues « 2023-06 », « Viva », « presse » ; la première ligne doit",
        ),
        (
            b"date;type;title\n2023-06;presse;Entretien\n",
            "registre.csv",
            "registre.csv, ligne 1 : colonne « outlet » absente ; la première ligne doit nommer les colonnes",
        ),
        (b"date;outlet;Titre;title\n", "registre.csv", "registre.csv, ligne 1 : colonne « title » en double"),
        (
            HEADER.encode() + b'2023-06-14;Le Monde;presse;"Unissons nos voix;;;\n2023-06-15;Elle;presse;Titre;;;\n',
            "registre.csv",
            "registre.csv, ligne 2 : CSV illisible, guillemet ouvert jamais refermé",
        ),
        (
            HEADER.encode() + b'2023-06-14;Le Monde;presse;"Unissons" nos voix;;;\n',
            "registre.csv",
            "registre.csv, ligne 2 : CSV illisible, texte collé à un guillemet fermant",
        ),
        (b"PK\x03\x04", "registre.xlsx", "registre.xlsx : format inconnu « .xlsx » (attendu : .csv, .yaml ou .yml)"),
    ],
    ids=[
        "cp1252",
        "utf16",
        "empty",
        "blank",
        "header-only",
        "unknown-column",
        "no-header",
        "no-outlet",
        "doubled",
        "open-quote",
        "text-after-quote",
        "xlsx",
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    sqlite_engine: Engine, data: bytes, name: str, message: str
) -> None:
    with pytest.raises(RegisterImportError) as caught:
        _import(sqlite_engine, data, name)
    assert str(caught.value).startswith(message)
    assert _all(sqlite_engine) == []


# --- YAML ------------------------------------------------------------------

YAML_FILE = """\
# Parutions relevées à la main
- date: 2023-06
  outlet: Viva
  spokesperson: Magali Leo
  note: |
    Entretien sur deux pages.
    Photo de la coordinatrice.
- date: 2023-02-01
  outlet: Le Monde
  type: tribune
  title: "Patients, aidants : unissons nos voix"
  url: https://www.lemonde.test/tribune
- date: 31/02/2023
  outlet: Le Figaro
- outlet: Les Échos
  title: Sans date
  auteur: quelqu'un
- just a line
- date: 2023-03
  outlet: [La Croix, Le Point]
- date: juin 2023
  outlet: Elle
  url: ~
"""


def test_yaml_is_read_with_the_line_of_each_bad_field(sqlite_engine: Engine) -> None:
    report = _import(sqlite_engine, YAML_FILE, "registre.yaml")
    assert [str(error) for error in report.errors] == [
        "ligne 13, champ « date » : « 31/02/2023 » n'est pas une date (formats : 2023-06-14 ou 14/06/2023 pour un "
        "jour ; 2023-06, 06/2023 ou juin 2023 pour un mois)",
        "ligne 15, champ inconnu « auteur » (champs reconnus : date, outlet, type, title, url, spokesperson, note) ; "
        "champ « date » : vide (la date est obligatoire)",
        "ligne 18, parution illisible : attendu des champs « date: … », « outlet: … »",
        "ligne 19, champ « outlet » : un texte attendu",
    ]
    assert (report.added, report.present) == (3, 0)
    rows = [(m.day, m.date_precision, m.outlet, m.medium, m.title, m.url, m.note) for m in _all(sqlite_engine)]
    viva_note = "Entretien sur deux pages.\nPhoto de la coordinatrice."
    assert rows == [
        (date(2023, 2, 1), "day", "Le Monde", "tribune", "Patients, aidants : unissons nos voix",
         "https://www.lemonde.test/tribune", None),
        (date(2023, 6, 1), "month", "Viva", "presse", "", None, viva_note),
        (date(2023, 6, 1), "month", "Elle", "presse", "", None, None),
    ]  # fmt: skip
    assert _import(sqlite_engine, YAML_FILE, "registre.yml").present == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- date: 2023-06\n  outlet: [Viva\n", "registre.yaml, ligne 3 : YAML illisible"),
        ("date: 2023-06\noutlet: Viva\n", "registre.yaml : le fichier YAML doit être une liste de parutions"),
        ("# rien\n", "registre.yaml : le fichier YAML doit être une liste de parutions"),
        ("[]\n", "registre.yaml : aucune parution dans le fichier"),
    ],
)
def test_a_yaml_file_that_cannot_be_read(sqlite_engine: Engine, content: str, message: str) -> None:
    with pytest.raises(RegisterImportError, match=f"^{message}"):
        _import(sqlite_engine, content, "registre.yaml")


# --- dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2023-06-14", (date(2023, 6, 14), "day")),
        ("14/06/2023", (date(2023, 6, 14), "day")),
        ("4/6/2023", (date(2023, 6, 4), "day")),
        (" 2023-06 ", (date(2023, 6, 1), "month")),
        ("06/2023", (date(2023, 6, 1), "month")),
        ("juin 2023", (date(2023, 6, 1), "month")),
        ("Février 2023", (date(2023, 2, 1), "month")),
        ("aout 2023", (date(2023, 8, 1), "month")),
    ],
)
def test_dates_as_people_write_them(written: str, expected: tuple[date, str]) -> None:
    assert parse_date(written) == expected


@pytest.mark.parametrize("written", ["2023-13", "2023-02-30", "31/02/2023", "14/06/23", "2023/06", "juin", "Q2 2023"])
def test_what_is_not_a_date(written: str) -> None:
    with pytest.raises(ValueError):
        parse_date(written)


# --- the command line ------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'veille.db'}")
    monkeypatch.setenv("WATCHER_CONFIG", str(REPO_ROOT / "sources.yaml"))
    monkeypatch.setenv("USER", "magali")
    monkeypatch.setenv("COLUMNS", "250")  # the listing's table on one line per entry
    return tmp_path


def _cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_the_shipped_file_twice_then_export_the_years(cli_db: Path) -> None:
    assert _cli("mentions", "import", str(SHIPPED)) == (
        0,
        "Import de register-2022-2023.csv : 11 ajoutées, 0 déjà présente, 0 erreur.\n",
        "",
    )
    assert _cli("mentions", "import", "--history") == (
        0,
        "Import de register-2022-2023.csv : 0 ajoutée, 11 déjà présentes, 0 erreur.\n",
        "",
    )
    code, markdown, _ = _cli("mentions", "export", "--year", "2023", "--format", "md")
    assert code == 0
    assert markdown.startswith(
        "# On parle de nous — 2023\n\n5 parutions : 2 citant le collectif, 1 tribune et 2 communiqués du collectif.\n"
    )
    assert (
        "## Juin 2023 (1)\n\n- **juin 2023** — *Viva* (presse écrite) — porte-parole : Magali Leo — note :" in markdown
    )
    assert "- **01/02** — *Le Monde* (tribune) : Patients, aidants et professionnels de santé, unissons" in markdown
    assert "- **13/10** — *Action Patients* (communiqué) : La grève illimitée des médecins" in markdown

    out = cli_db / "registre-2022.csv"
    assert _cli("mentions", "export", "--year", "2022", "--format", "csv", "--out", str(out))[0] == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [(row[1], row[2], row[3]) for row in rows[1:]] == [
        ("septembre 2022", "La Veille Acteurs de Santé", "web"),
        ("octobre 2022", "Allo Docteurs", "web"),
        ("octobre 2022", "Espaceinfirmier.fr", "web"),
        ("novembre 2022", "L'Express", "presse écrite"),
        ("novembre 2022", "Agence Presse Médicale (APM)", "presse écrite"),
        ("16/11/2022", "Libération", "tribune"),
    ]
    xlsx = cli_db / "registre-2022.xlsx"
    code, output, _ = _cli("mentions", "export", "--year", "2022", "--format", "xlsx", "--out", str(xlsx))
    assert (code, output) == (0, f"Registre 2022 : 6 parutions → {xlsx}\n")
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    dated = [(row[1].number_format, row[2].value) for row in sheet.iter_rows(min_row=2) if row[1].value is not None]
    assert dated[0] == ("MMMM YYYY", "La Veille Acteurs de Santé") and dated[-1] == ("DD/MM/YYYY", "Libération")
    code, listing, _ = _cli("mentions", "--year", "2022")
    assert code == 0 and "6 parutions" in listing and "septembre 2022" in listing


def test_import_errors_from_the_command_line(cli_db: Path) -> None:
    bad = cli_db / "registre.csv"
    bad.write_text(HEADER + "2023-06-14;Le Monde;presse;Bon;;;\n2023-13;Libération;presse;Mois 13;;;\n", "utf-8")
    code, output, errors = _cli("mentions", "import", str(bad))
    assert code == 1
    assert output == "Import de registre.csv : 1 ajoutée, 0 déjà présente, 1 erreur.\n"
    assert errors.startswith("Erreur : ligne 3, colonne « date » : « 2023-13 » n'est pas une date")

    # The file's own text is shown as written, even when it looks like a console style.
    bracketed = cli_db / "crochets.csv"
    bracketed.write_text(HEADER + "2023-06-14;Le Monde;[podcast];Titre;;;\n", "utf-8")
    assert "type de média inconnu « [podcast] »" in _cli("mentions", "import", str(bracketed))[2]
    bracketed.write_text("date;outlet;[auteur]\n2023-06-14;Le Monde;Magali\n", "utf-8")
    assert "colonne inconnue « [auteur] »" in _cli("mentions", "import", str(bracketed))[2]

    code, _, errors = _cli("mentions", "import", str(cli_db))
    assert code == 1 and errors == f"Erreur : « {cli_db} » est un dossier : indiquez un fichier .csv, .yaml ou .yml\n"
    code, _, errors = _cli("mentions", "import", str(cli_db / "absent.csv"))
    assert code == 1 and errors == f"Erreur : fichier introuvable : « {cli_db / 'absent.csv'} »\n"
    (cli_db / "vide.csv").write_bytes(b"")
    assert _cli("mentions", "import", str(cli_db / "vide.csv"))[2] == "Erreur : vide.csv : le fichier est vide\n"
    code, _, errors = _cli("mentions", "import")
    assert code == 1 and "indiquez le fichier à importer, ou --history" in errors
    code, _, errors = _cli("mentions", "import", str(bad), "--history")
    assert code == 1 and "un fichier ou --history, pas les deux" in errors


# --- the migration ---------------------------------------------------------


def test_entries_written_before_the_migration_are_dated_to_the_day(engine: Engine) -> None:
    config = _alembic_config(engine)
    command.downgrade(config, "0011")  # the revision before the register history
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO press_mention (day, outlet, title, medium, status, origin, created_at)"
                " VALUES ('2026-11-24', 'RTL', 'Journal', 'radio', 'validee', 'manuel', :now)"
            ).bindparams(bindparam("now", type_=UTCDateTime())),  # as the store writes it, not by sqlite3's adapter
            {"now": NOW},
        )
    upgrade(engine)
    with session_scope(engine) as session:
        (mention,) = session.exec(select(PressMention)).all()
    assert (mention.date_precision, mention.note, mention.import_key) == ("day", None, None)
