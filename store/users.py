"""The web desk's accounts and sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from store.models import DeskUser, LoginAttempt


def get_user(session: Session, name: str) -> DeskUser | None:
    return session.exec(select(DeskUser).where(col(DeskUser.name) == name)).first()


def get_user_by_id(session: Session, user_id: int) -> DeskUser | None:
    return session.get(DeskUser, user_id)


def list_users(session: Session) -> list[DeskUser]:
    return list(session.exec(select(DeskUser).order_by(col(DeskUser.name))).all())


def add_user(session: Session, *, name: str, role: str, password_hash: str, now: datetime) -> DeskUser:
    user = DeskUser(name=name, role=role, password_hash=password_hash, created_at=now)
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session,
    user: DeskUser,
    *,
    now: datetime,
    password_hash: str | None = None,
    active: bool | None = None,
    role: str | None = None,
) -> DeskUser:
    """Change an account; a new password or a disabling closes its open sessions."""
    if password_hash is not None:
        user.password_hash = password_hash
        user.session_version += 1
    if active is not None and active != user.active:
        user.active = active
        user.session_version += 1
    if role is not None:
        user.role = role
    user.updated_at = now
    session.add(user)
    session.flush()
    return user


def record_attempt(session: Session, *, account: str, address: str, succeeded: bool, at: datetime) -> None:
    session.add(LoginAttempt(account=account, address=address, succeeded=succeeded, at=at))
    session.flush()


def failures_since(session: Session, since: datetime, *, account: str | None = None, address: str | None = None) -> int:
    """Failed attempts since `since` for an account or from an address."""
    query = select(func.count()).select_from(LoginAttempt).where(col(LoginAttempt.at) >= since)
    query = query.where(col(LoginAttempt.succeeded).is_(False))
    if account is not None:
        query = query.where(col(LoginAttempt.account) == account)
    if address is not None:
        query = query.where(col(LoginAttempt.address) == address)
    return int(session.exec(query).one())


def forget_attempts(session: Session, before: datetime) -> None:
    """Old attempts count for nothing any more: the table stays small."""
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < before))  # type: ignore[call-overload]
