"""Every command, with bad arguments and with an unreachable database: one French line, never a traceback.

The commands are read from the application itself: a command added without an entry in COMMANDS fails
`test_every_command_is_covered`, so that nothing escapes these checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from tests.conftest import REPO_ROOT
from tests.test_failures import closed_port
from watcher.cli import app

PASSWORD = "mot-de-passe-secret"
FEED = REPO_ROOT / "watcher" / "demo" / "snapshot" / "le-globe.xml"
OPML = "{opml}"  # written under tmp_path
# Words of Python, Click and the drivers that a person must never read.
FORBIDDEN = ("Traceback", "Error:", "Usage:", "Invalid value", "Missing", "No such", "Try '", "Aborted",
             "Exception", "sqlalchemy", "psycopg.", "File \"")  # fmt: skip


@dataclass(frozen=True)
class Command:
    runs: tuple[str, ...]  # arguments that pass every check before the database
    uses_database: bool = True
    bad: tuple[tuple[tuple[str, ...], int, str], ...] = ()  # (arguments, exit code, first line of the message)


OUT = "{out}"  # a folder under tmp_path

BAD_DAY = "date invalide « {} » (formats acceptés : 2026-11-23, 23/11/2026 ou 23 novembre 2026)"
BAD_SINCE = (
    "--since : « {} » n'est ni une durée ni une date "
    "(attendu : une durée (24h, 7j) ou un jour (2026-11-23, 23/11/2026))"
)
NOT_A_NUMBER = "valeur invalide pour {} : nombre entier attendu, reçu « {} »"
UNKNOWN_SOURCE = "source inconnue « {} » (voir « watcher sources list »)"

COMMANDS: dict[str, Command] = {
    "run": Command(()),
    "collect": Command((), bad=((("--source", "Le Canard"), 1, UNKNOWN_SOURCE.format("Le Canard")),)),
    "preview": Command(
        (str(FEED),),
        uses_database=False,
        bad=(
            ((), 2, "argument manquant : FICHIER_OU_URL"),
            (("absent.xml",), 1, "absent.xml : fichier introuvable"),
            (("--json",), 2, "argument manquant : FICHIER_OU_URL"),
            (("--source", "Le Canard", str(FEED)), 1, UNKNOWN_SOURCE.format("Le Canard")),
            (
                ("--archive",),
                2,
                "--archive demande --config AUTRE.yaml, la configuration à comparer à celle en service",
            ),
            (("--archive", "--config", "autre.yaml", "--days", "0"), 2, "--days : 0 jours, hors limites (de 1 à 366)"),
            (("--archive", "--config", "absente.yaml"), 2, "absente.yaml : fichier de configuration introuvable"),
            (
                ("--archive", "--config", "autre.yaml", str(FEED)),
                2,
                f"--archive rejuge les articles déjà collectés : retirez « {FEED} »",
            ),
            (
                ("--config", "autre.yaml", str(FEED)),
                2,
                "--config après « preview » ne sert qu'avec --archive (la configuration à comparer)",
            ),
        ),
    ),
    "digest": Command(
        ("--date", "2026-12-05", "--out", OUT),
        bad=(
            (("--date", "31/11/2026"), 1, "--date : " + BAD_DAY.format("31/11/2026")),
            (("--date",), 2, "l'option --date attend une valeur"),
            (("--send", "oui"), 2, "argument en trop : oui"),
        ),
    ),
    "deliver": Command((), bad=((("maintenant",), 2, "argument en trop : maintenant"),)),
    "items": Command(
        ("--since", "24h"),
        bad=(
            (("--since", "hier"), 1, BAD_SINCE.format("hier")),
            (("--limit", "0"), 2, "valeur invalide pour --limit : valeur trop petite « 0 » (limite : 1)"),
            (("--limit", "beaucoup"), 2, NOT_A_NUMBER.format("--limit", "beaucoup")),
            (("--topic", "inconnu"), 1, "thème inconnu « inconnu » (thèmes : hopital, greve, ame, pertes_de_chance)"),
            (("--limt", "3"), 2, "option inconnue : --limt ; vouliez-vous dire --limit ?"),
        ),
    ),
    "verdict": Command(
        ("1", "--topic", "hopital", "--yes"),
        bad=(
            (("abc", "--topic", "hopital", "--yes"), 2, NOT_A_NUMBER.format("ARTICLE", "abc")),
            (("1", "--yes"), 2, "option obligatoire manquante : --topic"),
            (("--topic", "hopital"), 2, "argument manquant : ARTICLE"),
            (("1", "--topic", "hopital"), 1, "indiquez soit --yes (pertinent), soit --no (hors sujet)"),
            (("1", "2", "--topic", "hopital", "--yes"), 2, "argument en trop : 2"),
        ),
    ),
    "demo": Command(
        ("--out", OUT),
        uses_database=False,
        bad=((("--out", str(FEED)), 1, f"{FEED} : existe déjà, et ce n'est pas un dossier"),),
    ),
    "search": Command(
        ("urgences",),
        bad=(
            ((), 2, "argument manquant : RECHERCHE"),
            (("urgences", "--since", "demain"), 1, BAD_SINCE.format("demain")),
        ),
    ),
    "flag": Command(
        ("1", "--tribune"),
        bad=(
            (("un", "--tribune"), 2, NOT_A_NUMBER.format("ARTICLE", "un")),
            (("1",), 1, "précisez ce que vous signalez : --tribune"),
        ),
    ),
    "sources check": Command((), uses_database=False),
    "sources list": Command((), uses_database=False),
    "sources health": Command((), bad=((("--en-panne=oui",), 2, "l'option --en-panne ne prend pas de valeur"),)),
    "sources enable": Command(
        ("Le Monde — Santé",),
        bad=(((), 2, "argument manquant : SOURCE"), (("Inconnue",), 1, UNKNOWN_SOURCE.format("Inconnue"))),
    ),
    "sources export-opml": Command(
        ("--out", f"{OUT}/sources.opml"),
        uses_database=False,
        bad=((("--out", "/absent/sources.opml"), 1, "/absent/sources.opml : fichier ou dossier introuvable"),),
    ),
    "sources import-opml": Command(
        (OPML,),
        uses_database=False,
        bad=((("absent.opml",), 1, "absent.opml : lecture impossible (fichier ou dossier introuvable)"),),
    ),
    "db upgrade": Command(()),
    "web": Command((), bad=((("--port", "huit"), 2, NOT_A_NUMBER.format("--port", "huit")),)),
    "users add": Command(("marie", "--role", "lecture"), bad=(((), 2, "argument manquant : NOM"),)),
    "users list": Command((), bad=((("tous",), 2, "argument en trop : tous"),)),
    "users disable": Command(("marie",), bad=(((), 2, "argument manquant : NOM"),)),
    "users passwd": Command(("marie",), bad=(((), 2, "argument manquant : NOM"),)),
    "db reindex": Command((), bad=((("tout",), 2, "argument en trop : tout"),)),
    "sources coverage": Command((), bad=((("--days", "sept"), 2, NOT_A_NUMBER.format("--days", "sept")),)),
    "status": Command((), bad=((("maintenant",), 2, "argument en trop : maintenant"),)),
    "alerts test": Command((), uses_database=False),
    "rules stats": Command((), bad=((("hopital",), 2, "argument en trop : hopital"),)),
    "export items": Command(
        ("--since", "2026-11-28", "--until", "2026-12-05"),  # days, not a span: now may be any day
        bad=(
            (("--format", "pdf"), 1, "--format : format inconnu « pdf » (attendu : csv ou json)"),
            (
                ("--since", "2026-12-05", "--until", "2026-12-01"),
                1,
                "--until (01/12/2026) est avant --since (05/12/2026 00:00)",
            ),
            (("--until", "fin novembre"), 1, "--until : " + BAD_DAY.format("fin novembre")),
        ),
    ),
    "tribunes": Command(
        (),
        bad=(
            (
                ("--status", "oubliée"),
                1,
                "statut de tribune inconnu « oubliée » (attendu : « à étudier », « en rédaction », « publiée », "
                "« abandonnée »)",
            ),
        ),
    ),
    "tribunes set": Command(
        ("1", "--status", "en rédaction"),
        bad=(
            (("1",), 1, "rien à changer : indiquez --status, --outlet, --deadline ou --url"),
            (("1", "--deadline", "bientôt"), 1, "--deadline : " + BAD_DAY.format("bientôt")),
            (("x", "--status", "publiée"), 2, NOT_A_NUMBER.format("ARTICLE", "x")),
        ),
    ),
    "mentions": Command(
        ("--year", "2026"), bad=((("--year", "l'an dernier"), 2, NOT_A_NUMBER.format("--year", "l'an dernier")),)
    ),
    "mentions add": Command(
        ("--outlet", "Le Monde", "--date", "5 décembre 2026", "--title", "Un titre"),
        bad=(
            (("--date", "2026-12-05", "--title", "t"), 2, "option obligatoire manquante : --outlet"),
            (
                ("--outlet", "x", "--date", "2026-12-05", "--title", "t", "--type", "fax"),
                1,
                "type de média inconnu « fax » (attendu : presse, radio, tv, web, tribune ou communiqué)",
            ),
            (
                ("--outlet", "x", "--date", "2026-12-05", "--title", "t", "--url", "ftp://x"),
                1,
                "adresse invalide « ftp://x » (elle doit commencer par http:// ou https://)",
            ),
        ),
    ),
    "mentions import": Command(
        ("--history",),
        bad=((("absent.csv",), 1, "fichier introuvable : « absent.csv »"),),
    ),
    "stories merges": Command(
        (),
        bad=(
            (("--days", "sept"), 2, NOT_A_NUMBER.format("--days", "sept")),
            (("--days", "0"), 2, "valeur invalide pour --days : valeur trop petite « 0 » (limite : 1)"),
        ),
    ),
    "stories split": Command(
        ("1",),
        bad=(
            ((), 2, "argument manquant : ARTICLE"),
            (("premier",), 2, NOT_A_NUMBER.format("ARTICLE", "premier")),
        ),
    ),
    "mentions validate": Command(("1",), bad=((("premier",), 2, NOT_A_NUMBER.format("PARUTION", "premier")),)),
    "mentions reject": Command(("1",), bad=(((), 2, "argument manquant : PARUTION"),)),
    "observatoire correct": Command(
        ("1", "--commune", "35238", "--loss-kind", "sans médecin"),
        bad=(
            (
                ("1",),
                1,
                "rien à corriger : indiquez une commune, un département, une région, la France entière "
                "ou les types de perte",
            ),
            (
                ("1", "--commune", "Atlantide"),
                1,
                "commune inconnue « Atlantide » (indiquez son nom ou son code INSEE, par exemple 35238 pour Rennes)",
            ),
            (
                ("1", "--loss-kind", "malchance"),
                1,
                "type de perte inconnu « malchance » (attendu : retard_diagnostic, deprogrammation, "
                "fermeture_transfert, deces_complication, refus_de_soins, rupture_traitement, sans_medecin)",
            ),
            (("1", "--commune", "Rennes", "--national"), 1, "un lieu ou la France entière, pas les deux"),
            (("x", "--national"), 2, NOT_A_NUMBER.format("ARTICLE", "x")),
        ),
    ),
    "observatoire export": Command(
        ("--from", "2026-01-01", "--to", "2026-12-31", "--format", "json"),
        bad=(
            (("--from", "2026-01-01"), 2, "option obligatoire manquante : --to"),
            (("--from", "2026-12-05", "--to", "2026-12-01"), 1, "--to (01/12/2026) est avant --from (05/12/2026)"),
            (("--from", "hier", "--to", "2026-12-01"), 1, "--from : " + BAD_DAY.format("hier")),
            (
                ("--from", "2026-01-01", "--to", "2026-12-31", "--format", "pdf"),
                1,
                "--format : format inconnu « pdf » (attendu : csv, xlsx ou json)",
            ),
        ),
    ),
    "observatoire summary": Command(
        ("--year", "2026"),
        bad=(
            ((), 2, "option obligatoire manquante : --year"),
            (("--year", "26"), 1, "--year : année invalide « 26 » (attendu : AAAA, par exemple 2026)"),
        ),
    ),
    "mentions export": Command(
        ("--year", "2026"),
        bad=(
            ((), 2, "option obligatoire manquante : --year"),
            (("--year", "2026", "--sep", ";;"), 1, "--sep : un seul caractère attendu, reçu « ;; »"),
        ),
    ),
    "observatoire carte": Command(
        ("--year", "2026", "--out", OUT, "--departements"),
        bad=(
            (("--out", OUT), 2, "option obligatoire manquante : --year"),
            (("--year", "26", "--out", OUT), 1, "--year : année invalide « 26 » (attendu : AAAA, par exemple 2026)"),
        ),
    ),
    "revue build": Command(
        ("--out", OUT, "--since", "2026-11-01"),
        bad=(
            ((), 1, "indiquez le dossier du site : --out DOSSIER (ou revue.output_dir dans sources.yaml)"),
            (("--out", OUT, "--since", "hier"), 1, BAD_SINCE.format("hier")),
        ),
    ),
    "revue add": Command(
        ("1",), bad=(((), 2, "argument manquant : ARTICLE"), (("x",), 2, NOT_A_NUMBER.format("ARTICLE", "x")))
    ),
    "revue remove": Command(("1",), bad=(((), 2, "argument manquant : ARTICLE"),)),
    "revue list": Command((), bad=((("tous",), 2, "argument en trop : tous"),)),
}


def _command_paths() -> Iterator[str]:
    def walk(command: object, path: tuple[str, ...]) -> Iterator[str]:
        if isinstance(command, TyperGroup):
            if path and command.invoke_without_command:
                yield " ".join(path)  # a group that lists something when given no subcommand
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield " ".join(path)

    yield from walk(typer.main.get_command(app), ())


def test_every_command_is_covered() -> None:
    missing = sorted(set(_command_paths()) - set(COMMANDS))
    assert not missing, f"add these commands to COMMANDS in {Path(__file__).name}: {missing}"
    assert not set(COMMANDS) - set(_command_paths()), "COMMANDS names a command that does not exist"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "sources.yaml"
    shutil.copyfile(REPO_ROOT / "sources.yaml", config)
    (tmp_path / "flux.opml").write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Flux</title></head><body>'
        '<outline type="rss" text="Flux essai" xmlUrl="https://essai.example/rss.xml"/></body></opml>',
        encoding="utf-8",
    )
    port = closed_port()
    env = {
        "WATCHER_CONFIG": str(config),
        "WATCHER_DATABASE_URL": f"postgresql://veille:{PASSWORD}@127.0.0.1:{port}/veille",
        "SLACK_BOT_TOKEN": "xoxb-essai",
        "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
        "COLUMNS": "400",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WATCHER_SMTP_URL", raising=False)
    return tmp_path


def _assert_french(output: str, where: str) -> None:
    assert output.strip(), f"{where}: nothing said"
    leaked = [word for word in FORBIDDEN if word in output]
    assert not leaked, f"{where}: {leaked} in\n{output}"
    assert PASSWORD not in output, f"{where}: the password is shown"


BAD_CASES = [
    (name, args, code, line)
    for name, command in COMMANDS.items()
    for args, code, line in (
        *command.bad,
        (("--zzz",), 2, "option inconnue : --zzz"),
    )
]


@pytest.mark.parametrize(
    ("name", "args", "code", "line"), BAD_CASES, ids=[f"{c[0]} {' '.join(c[1])}" for c in BAD_CASES]
)
def test_bad_arguments_get_one_french_line(
    workspace: Path, name: str, args: tuple[str, ...], code: int, line: str
) -> None:
    result = CliRunner().invoke(app, [*name.split(), *args])
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.splitlines()[0] == f"Erreur : {line}"
    _assert_french(result.output, f"watcher {name} {' '.join(args)}")


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (("nimportequoi",), 2, "commande inconnue « nimportequoi »"),
        (("itemz",), 2, "commande inconnue « itemz » ; vouliez-vous dire « items » ?"),
        (("sources", "lister"), 2, "commande inconnue « lister » ; vouliez-vous dire « list » ?"),
        (("--config",), 2, "l'option --config attend une valeur"),
        (
            ("--config", "{tmp}", "items"),
            2,
            "{tmp} : c'est un dossier ; indiquez le fichier de configuration lui-même (par exemple {tmp}/sources.yaml)",
        ),
        (
            ("--config", "{tmp}/absent.yaml", "sources", "check"),
            2,
            "{tmp}/absent.yaml : fichier de configuration introuvable",
        ),
    ],
)
def test_unknown_commands_and_configurations_get_one_french_line(
    workspace: Path, args: tuple[str, ...], code: int, line: str
) -> None:
    result = CliRunner().invoke(app, [arg.format(tmp=workspace) for arg in args])
    assert result.exit_code == code
    assert result.stderr.splitlines()[0] == f"Erreur : {line.format(tmp=workspace)}"
    _assert_french(result.output, " ".join(args))


def _unreachable_database_line() -> str:
    port = os.environ["WATCHER_DATABASE_URL"].rsplit(":", 1)[1].split("/")[0]
    return (
        f"Erreur : base de données postgresql+psycopg://veille:***@127.0.0.1:{port}/veille : connexion refusée par "
        f"127.0.0.1, port {port}. Vérifiez que le serveur PostgreSQL est démarré et que WATCHER_DATABASE_URL donne "
        "le bon hôte et le bon port."
    )


def _arguments(name: str, workspace: Path) -> list[str]:
    out = workspace / "out" / name.replace(" ", "-")
    out.mkdir(parents=True)
    runs = COMMANDS[name].runs
    return [*name.split(), *(arg.replace(OUT, str(out)).replace(OPML, str(workspace / "flux.opml")) for arg in runs)]


def _assert_unreachable_database_told(name: str, code: int, stdout: str, stderr: str) -> None:
    output = stdout + stderr
    _assert_french(output, f"watcher {name}")
    if COMMANDS[name].uses_database:
        assert code == 1, f"watcher {name}: {output}"
        assert stderr == _unreachable_database_line() + "\n", f"watcher {name}"
    elif name == "alerts test":  # no database, but Slack is unreachable too
        assert code == 1 and "✗ #veille : Slack injoignable (connexion refusée)" in stdout
    else:
        assert code == 0, f"watcher {name}: {output}"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_with_an_unreachable_database(
    workspace: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command in the test's process (a new process for each costs a second and a half of imports)."""
    monkeypatch.chdir(workspace)
    result = CliRunner().invoke(app, _arguments(name, workspace))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    _assert_unreachable_database_told(name, result.exit_code, result.stdout, result.stderr)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it: a new process, its real output, its real exit code."""
    return subprocess.run(
        [sys.executable, "-m", "watcher", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


# The service (its logging and its migration in a child process), a reading command and a writing one, as a person
# runs them: what the process itself prints to its real stderr, beyond what the command says, is read here.
IN_THEIR_OWN_PROCESS = ("run", "items", "db upgrade")


def test_commands_in_their_own_process_with_an_unreachable_database(workspace: Path) -> None:
    # Under libfaketime (CI's shifted-date run), a child's time.sleep fails with EINVAL (libfaketime#426; the
    # suite's own process is patched in conftest.py). What is checked here is wording, not dates: the children run
    # on the real clock.
    env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD" and not key.startswith("FAKE")}

    def one(name: str) -> subprocess.CompletedProcess[str]:
        return _run(_arguments(name, workspace), workspace, env)

    with ThreadPoolExecutor(max_workers=len(IN_THEIR_OWN_PROCESS)) as pool:
        results = dict(zip(IN_THEIR_OWN_PROCESS, pool.map(one, IN_THEIR_OWN_PROCESS), strict=True))
    for name, result in results.items():
        _assert_unreachable_database_told(name, result.returncode, result.stdout, result.stderr)
