"""What went wrong, in one French line: the database, a file, or an error nobody foresaw.

The command line (watcher/french_cli.py) and the service's logs (watcher/logs.py) both word failures here, so
that a volunteer reads the same sentence wherever it shows up: what failed, on what, and what to check.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from store.db import DATABASE_URL_ENV_VAR, DatabaseUrlError, database_url, redacted

DEBUG_ENV_VAR = "WATCHER_DEBUG"  # set to 1: unexpected errors keep their Python traceback, for a developer

_CHECK_URL = f"Vérifiez {DATABASE_URL_ENV_VAR}."
_URL_FORMS = "postgresql://utilisateur:motdepasse@hôte:5432/base ou sqlite:///chemin/veille.db"


@dataclass(frozen=True)
class _Cause:
    """A driver message pattern, what it means and what to check; `{0}`, `{1}` are the pattern's groups."""

    pattern: re.Pattern[str]
    what: str
    check: str


def _cause(pattern: str, what: str, check: str) -> _Cause:
    return _Cause(re.compile(pattern, re.IGNORECASE | re.DOTALL), what, check)


_SERVER_CHECK = (
    f"Vérifiez que le serveur PostgreSQL est démarré et que {DATABASE_URL_ENV_VAR} donne le bon hôte et le bon port."
)
_ACCOUNT_CHECK = f"Vérifiez l'utilisateur et le mot de passe dans {DATABASE_URL_ENV_VAR}."
_DATABASE_CAUSES = (
    _cause(
        r'server at "([^"]+)", port (\d+) failed: Connection refused',
        "connexion refusée par {0}, port {1}",
        _SERVER_CHECK,
    ),
    _cause(r"Connection refused", "connexion refusée", _SERVER_CHECK),
    _cause(
        r"failed to resolve host '([^']+)'|could not translate host name \"([^\"]+)\"",
        "hôte « {0} » introuvable",
        f"Vérifiez le nom de l'hôte dans {DATABASE_URL_ENV_VAR}.",
    ),
    _cause(
        r"timeout expired|timed out",
        "le serveur ne répond pas (délai de connexion dépassé)",
        "Vérifiez l'hôte, le port, le réseau et le pare-feu.",
    ),
    _cause(r'password authentication failed for user "([^"]+)"', "mot de passe refusé pour « {0} »", _ACCOUNT_CHECK),
    _cause(r'role "([^"]+)" does not exist', "l'utilisateur « {0} » n'existe pas sur ce serveur", _ACCOUNT_CHECK),
    _cause(
        r'database "([^"]+)" does not exist',
        "la base « {0} » n'existe pas sur ce serveur",
        f"Créez-la (createdb {{0}}) ou corrigez son nom dans {DATABASE_URL_ENV_VAR}.",
    ),
    _cause(
        r"no pg_hba\.conf entry",
        "le serveur refuse les connexions de cette machine",
        "Autorisez-la dans le fichier pg_hba.conf du serveur.",
    ),
    _cause(
        r"the database system is (?:starting up|shutting down|in recovery mode)",
        "le serveur démarre ou s'arrête",
        "Réessayez dans un instant.",
    ),
    _cause(
        r"too many (?:connections|clients)|remaining connection slots",
        "trop de connexions ouvertes sur le serveur",
        "Réessayez dans un instant, ou augmentez max_connections sur le serveur.",
    ),
    _cause(
        r"unable to open database file",
        "fichier de base impossible à ouvrir",
        "Vérifiez que son dossier existe et que vous avez le droit d'y écrire.",
    ),
    _cause(r"file is not a database", "ce fichier n'est pas une base SQLite", _CHECK_URL),
    _cause(
        r"database is locked", "base verrouillée par un autre processus", "Réessayez quand l'autre commande a fini."
    ),
    _cause(
        r"readonly database|read-only",
        "base en lecture seule",
        "Vérifiez les droits d'écriture sur le fichier et sur son dossier.",
    ),
    _cause(r"disk is full|No space left", "disque plein", "Libérez de la place sur le disque de la base."),
    _cause(
        r"no such table|no such column|relation \"[^\"]+\" does not exist|column \"[^\"]+\" does not exist",
        "schéma incomplet ou ancien",
        "Lancez « watcher db upgrade ».",
    ),
)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _database_cause(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, DatabaseUrlError):
        if exc.problem == "dialect":
            return (
                f"type de base « {exc.name} » non pris en charge",
                f"veille fonctionne avec PostgreSQL ou SQLite : {_URL_FORMS}.",
            )
        if exc.problem == "driver":
            install = (
                "pip install 'veille[postgres]'" if exc.name == "psycopg" else "écrivez postgresql://… ou sqlite:///…"
            )
            return f"le module Python « {exc.name} » n'est pas installé", f"Pour y remédier : {install}."
        if exc.problem == "at_sign":
            return "adresse mal formée", "Un « @ » dans le mot de passe s'écrit %40."
        return "adresse illisible", f"Elle s'écrit {_URL_FORMS}."
    detail = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
    for cause in _DATABASE_CAUSES:
        if match := cause.pattern.search(detail):
            groups = [group for group in match.groups() if group is not None]
            return cause.what.format(*groups), cause.check.format(*groups)
    # A message nobody has mapped yet: its first line, as the driver wrote it, is the only clue.
    return f"erreur de la base ({_first_line(detail) or type(exc).__name__})", _CHECK_URL


def is_database_failure(exc: BaseException) -> bool:
    return isinstance(exc, (SQLAlchemyError, DatabaseUrlError))


def database_failure(exc: BaseException, url: str) -> str:
    """« base de données URL : ce qui a échoué. Ce qu'il faut vérifier. », the password masked."""
    what, check = _database_cause(exc)
    return f"base de données {redacted(url)} : {what}. {check}"


_OS_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EEXIST: "existe déjà, et ce n'est pas un dossier",  # mkdir over a file
    errno.ENOSPC: "disque plein",
    errno.EROFS: "disque en lecture seule",
    errno.ENAMETOOLONG: "nom trop long",
}


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in French (the system's own words are English)."""
    return _OS_REASONS.get(exc.errno or 0, f"erreur système {exc.errno}" if exc.errno else "erreur système")


def file_failure(exc: OSError) -> str:
    """« chemin : raison », for a file or folder the command could not read or write."""
    where = exc.filename if exc.filename is not None else "fichier"
    return f"{os.fsdecode(where)} : {os_reason(exc)}"


def describe(exc: BaseException) -> str:
    """What an exception means, in one line: French for the database and files, its kind and text otherwise."""
    if is_database_failure(exc):
        return database_failure(exc, getattr(exc, "url", None) or database_url())
    if isinstance(exc, OSError):
        return file_failure(exc)
    detail = _first_line(str(exc))
    return f"{type(exc).__name__}{' : ' + detail if detail else ''}"


def unexpected_failure(exc: BaseException) -> str:
    """An error no command foresaw: its kind and first line, and how to get the rest."""
    return (
        f"erreur inattendue ({describe(exc)}). "
        f"Relancez avec {DEBUG_ENV_VAR}=1 pour le détail technique, et signalez-la à l'équipe qui maintient veille."
    )
