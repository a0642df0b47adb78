"""Desk accounts: roles, argon2 passwords, and sign-in with a rate limit kept in the database.

The three doors share this module: `watcher users …` manages accounts, the desk signs people in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

from store import users
from store.models import DeskUser, Role

ROLE_LABELS = {
    Role.LECTURE: "lecture (consulte)",
    Role.COORDINATION: "coordination (agit sur les articles, les tribunes et le registre)",
    Role.ADMIN: "admin (gère aussi les sources et les comptes)",
}
_RANK = {Role.LECTURE: 0, Role.COORDINATION: 1, Role.ADMIN: 2}
MIN_PASSWORD_LENGTH = 10
_NAME_RE = re.compile(r"^[\w.@-]{1,64}$")

# Sign-in: past these many failures in the window, the account (or the address) waits.
ATTEMPT_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this when the account does not exist costs the same time: no one learns which names exist.

    Made when the desk starts (`prepare`), not at import: a hash takes argon2's 64 MiB, and every `watcher` process
    (the collector and its workers too) imports this module through the CLI."""
    return _hasher.hash("compte inexistant")


def prepare() -> None:
    """What sign-ins need, made before the first: made then, the first unknown name would take twice a known
    one's time and tell that it does not exist."""
    _dummy_hash()


class AccountError(ValueError):
    """An account operation that cannot be done, phrased in French."""


def role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise AccountError(f"rôle inconnu « {text} » (attendu : lecture, coordination ou admin)") from None


def allows(user_role: str, needed: Role) -> bool:
    return _RANK.get(Role(user_role), -1) >= _RANK[needed]


def check_password(password: str) -> str:
    password = password.rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"mot de passe trop court : {MIN_PASSWORD_LENGTH} caractères au moins")
    return password


def _name(text: str) -> str:
    name = text.strip()
    if not _NAME_RE.match(name):
        raise AccountError(
            f"nom de compte invalide « {text} » (lettres, chiffres, point, tiret, @ ; 64 caractères au plus)"
        )
    return name


def add(session: Session, name: str, role_text: str, password: str, now: datetime) -> DeskUser:
    name, wanted = _name(name), role(role_text)
    if users.get_user(session, name) is not None:
        raise AccountError(f"le compte « {name} » existe déjà (« watcher users passwd {name} » pour son mot de passe)")
    return users.add_user(
        session, name=name, role=wanted, password_hash=_hasher.hash(check_password(password)), now=now
    )


def _existing(session: Session, name: str) -> DeskUser:
    user = users.get_user(session, name.strip())
    if user is None:
        raise AccountError(f"compte « {name} » introuvable (voir « watcher users list »)")
    return user


def set_password(session: Session, name: str, password: str, now: datetime) -> DeskUser:
    user = _existing(session, name)
    return users.update_user(session, user, now=now, password_hash=_hasher.hash(check_password(password)))


def disable(session: Session, name: str, now: datetime) -> tuple[DeskUser, bool]:
    """True when the account was active; its open sessions close."""
    user = _existing(session, name)
    was_active = user.active
    users.update_user(session, user, now=now, active=False)
    return user, was_active


@dataclass(frozen=True)
class SignIn:
    user: DeskUser | None
    error: str | None = None


def sign_in(session: Session, name: str, password: str, address: str, now: datetime) -> SignIn:
    """Check a sign-in; every attempt is recorded, and too many failures make the account or address wait."""
    account = name.strip().lower()[:64]
    since = now - ATTEMPT_WINDOW
    if (
        users.failures_since(session, since, account=account) >= MAX_FAILURES_PER_ACCOUNT
        or users.failures_since(session, since, address=address) >= MAX_FAILURES_PER_ADDRESS
    ):
        minutes = int(ATTEMPT_WINDOW.total_seconds() // 60)
        return SignIn(None, f"Trop de tentatives de connexion : réessayez dans {minutes} minutes.")
    user = users.get_user(session, name.strip())
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
        valid = user is not None and user.active
    except (VerificationError, InvalidHashError):
        valid = False
    users.record_attempt(session, account=account, address=address, succeeded=valid, at=now)
    users.forget_attempts(session, now - 4 * ATTEMPT_WINDOW)
    if not valid:
        return SignIn(None, "Nom ou mot de passe incorrect (ou compte désactivé).")
    assert user is not None
    if _hasher.check_needs_rehash(user.password_hash):
        users.update_user(session, user, now=now, password_hash=_hasher.hash(password))
    return SignIn(user)
