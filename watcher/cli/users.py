"""`watcher users`: the web desk's accounts. The password is read from standard input, never from an option.

Registered on the `watcher` application by watcher/cli/__init__.py; each command calls one function of
watcher.web.accounts.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.table import Table

from store import users as store_users
from store.db import session_scope
from watcher.cli import base
from watcher.web import accounts

users_app = typer.Typer(help="Les comptes du bureau web (watcher web).", no_args_is_help=True)
base.app.add_typer(users_app, name="users")


def read_password() -> str:
    """Typed twice at a terminal; otherwise the first line of standard input (`echo … | watcher users add`)."""
    if sys.stdin.isatty():
        first = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Mot de passe (encore) : ") != first:
            raise base.fail("les deux mots de passe diffèrent")
        return first
    line = sys.stdin.readline()
    if not line.strip():
        raise base.fail("mot de passe attendu sur l'entrée standard (par exemple : watcher users add … < fichier)")
    return line.rstrip("\r\n")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(metavar="NOM", help="Nom du compte (celui qu'on tape pour se connecter).")],
    role: Annotated[str, typer.Option("--role", help="lecture, coordination ou admin.")],
) -> None:
    """Créer un compte ; le mot de passe est lu sur l'entrée standard."""
    try:
        accounts.role(role)  # a wrong role fails before the password is asked
    except accounts.AccountError as exc:
        raise base.fail(str(exc)) from None
    engine = base._engine_ready()  # before the password is typed twice
    password = read_password()
    try:
        with session_scope(engine) as session:
            user = accounts.add(session, name, role, password, base.state.now())
            label = accounts.ROLE_LABELS[user.role]  # type: ignore[index]
    except accounts.AccountError as exc:
        raise base.fail(str(exc)) from None
    base.console.print(f"Compte « {name.strip()} » créé : {label}.", highlight=False, soft_wrap=True)


@users_app.command("list")
def users_list() -> None:
    """Lister les comptes."""
    engine = base._engine_ready()
    with session_scope(engine) as session:
        rows = store_users.list_users(session)
    table = Table(title=base.counted(len(rows), "compte", "comptes"))
    for column in ("Nom", "Rôle", "Actif", "Créé le"):
        table.add_column(column, overflow="fold")
    for user in rows:
        table.add_row(user.name, user.role, "oui" if user.active else "non", f"{user.created_at:%d/%m/%Y}")
    base.console.print(table)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(metavar="NOM", help="Nom du compte.")]) -> None:
    """Désactiver un compte : il ne peut plus se connecter et ses sessions ouvertes se ferment."""
    engine = base._engine_ready()
    try:
        with session_scope(engine) as session:
            _, was_active = accounts.disable(session, name, base.state.now())
    except accounts.AccountError as exc:
        raise base.fail(str(exc)) from None
    message = "désactivé" if was_active else "déjà désactivé"
    base.console.print(f"Compte « {name} » {message}.", highlight=False, soft_wrap=True)


@users_app.command("passwd")
def users_passwd(name: Annotated[str, typer.Argument(metavar="NOM", help="Nom du compte.")]) -> None:
    """Changer le mot de passe d'un compte (lu sur l'entrée standard) ; ses sessions ouvertes se ferment."""
    engine = base._engine_ready()  # before the password is typed twice
    password = read_password()
    try:
        with session_scope(engine) as session:
            accounts.set_password(session, name, password, base.state.now())
    except accounts.AccountError as exc:
        raise base.fail(str(exc)) from None
    base.console.print(f"Mot de passe du compte « {name} » changé.", highlight=False, soft_wrap=True)
