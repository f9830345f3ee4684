"""People who use the web app: usernames, argon2 password hashes, roles, CRM user ids."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.access import ROLES, Role
from ..errors import InputError, NotFoundError
from .audit import note
from .db import Store
from .models import ApiToken, User, WebSession, utcnow

_HASHER = PasswordHasher()
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,149}$")
MIN_PASSWORD_LENGTH = 8


class WrongPassword(InputError):
    """The current password given to confirm a change is not right."""


@dataclass(frozen=True)
class UserPublic:
    """A user as the rest of the app sees it: never the password hash."""

    id: int
    username: str
    role: Role
    crm_user_id: str | None
    active: bool
    created_at: datetime
    email: str | None = None  # where notifications go (issue 15)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role,
            "crm_user_id": self.crm_user_id,
            "active": self.active,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "email": self.email,
        }


def public(user: User) -> UserPublic:
    return UserPublic(user.id, user.username, user.role, user.crm_user_id, user.active, user.created_at,  # type: ignore[arg-type]
                      user.email)


_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")


def check_email(email: str | None) -> str | None:
    """An email address for notifications (None or empty: none); InputError when it is not one."""
    if email is None or not email.strip():
        return None
    text = email.strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise InputError(f"email {email!r} is not an email address (name@domain)", column="email", value=email)
    return text


def set_email(store: Store, *, username: str, email: str | None, by: str | None = None) -> UserPublic:
    """Set (or, with None or "", clear) where a user's notifications go."""
    checked = check_email(email)
    with store.session() as s:
        user = _named(s, username)
        before = user.email
        user.email = checked
        note(s, event="user_email", actor=by, subject=user.username, detail={"from": before, "to": checked})
        return public(user)


def normalize_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise InputError(
            f"username {username!r} is not valid: use 1-150 letters, digits, '.', '_', '@' or '-'",
            value=username,
        )
    return name


def check_role(role: str, crm_user_id: str | None) -> Role:
    if role not in ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}", value=role)
    if role != "admin" and not crm_user_id:
        raise InputError(f"a {role} must be linked to a CRM user id (--crm-user-id)", value=role)
    return role  # type: ignore[return-value]


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password is too short: use at least {MIN_PASSWORD_LENGTH} characters")


def create_user(store: Store, *, username: str, password: str, role: str, crm_user_id: str | None = None,
                by: str | None = None, email: str | None = None) -> UserPublic:
    name = normalize_username(username)
    mail = check_email(email)
    checked = check_role(role, crm_user_id)
    check_password(password)
    crm = crm_user_id.strip() if crm_user_id else None
    try:
        with store.session() as s:
            user = User(username=name, password_hash=_HASHER.hash(password), role=checked, crm_user_id=crm, active=True,
                        email=mail)
            s.add(user)
            s.flush()
            note(s, event="user_add", actor=by, subject=name, detail={"role": checked})
            return public(user)
    except IntegrityError:
        raise InputError(f"user {name!r} already exists", value=name) from None


def authenticate(store: Store, *, username: str, password: str) -> UserPublic | None:
    """The user when the password matches and the account is active, else None.

    The hash is checked outside the database session, so logins waiting for their turn at
    the verifier (see ``_verify``) hold no database connection."""
    try:
        name = normalize_username(username)
    except InputError:
        name = None
    with store.session() as s:
        user = s.scalar(select(User).where(User.username == name)) if name else None
        found = (user.id, user.password_hash, user.active) if user is not None else None
    if found is None:
        _verify(_DUMMY_HASH, password)
        return None
    user_id, hashed, active = found
    if not _verify(hashed, password) or not active:
        return None
    with store.session() as s:
        user = s.get(User, user_id)
        if user is None or not user.active or user.password_hash != hashed:
            return None  # changed or disabled meanwhile
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        return public(user)


# argon2 takes 64 MiB and tens of milliseconds per check: a burst of logins verified all at
# once took a server from 540 to 1,488 MB and other people's pages from 8 to 809 ms. At most
# this many checks run at a time; the rest wait their turn.
_VERIFY_SLOTS = threading.BoundedSemaphore(2)


def _verify(hashed: str, password: str) -> bool:
    with _VERIFY_SLOTS:
        try:
            return _HASHER.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def get_user(store: Store, *, user_id: int) -> UserPublic:
    with store.session() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user with id {user_id}")
        return public(user)


def list_users(store: Store) -> list[UserPublic]:
    with store.session() as s:
        return [public(u) for u in s.scalars(select(User).order_by(User.username))]


def _named(s: Session, username: str) -> User:
    name = normalize_username(username)
    user = s.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFoundError(f"no user named {name!r}")
    return user


def set_role(store: Store, *, username: str, role: str, crm_user_id: str | None = None,
             by: str | None = None) -> UserPublic:
    """Change a user's role (and, when given, their CRM user id)."""
    with store.session() as s:
        user = _named(s, username)
        crm = crm_user_id.strip() if crm_user_id else user.crm_user_id
        before = user.role
        user.role = check_role(role, crm)
        user.crm_user_id = crm
        note(s, event="user_role", actor=by, subject=user.username, detail={"from": before, "to": user.role})
        return public(user)


def revoke_everything(s: Session, user_id: int) -> int:
    """End every live session and API token of the user, in the open unit of work."""
    now = utcnow()
    n = 0
    for table in (WebSession, ApiToken):
        result = s.execute(update(table).where(table.user_id == user_id, table.revoked_at.is_(None)).values(revoked_at=now))
        n += int(result.rowcount)  # type: ignore[attr-defined]
    return n


def set_password(store: Store, *, username: str, password: str, by: str | None = None) -> int:
    """A new password; every session and API token of the user ends. Returns how many ended."""
    check_password(password)
    with store.session() as s:
        user = _named(s, username)
        user.password_hash = _HASHER.hash(password)
        ended = revoke_everything(s, user.id)
        note(s, event="user_passwd", actor=by, subject=user.username, detail={"revoked": ended})
        return ended


def change_own_password(store: Store, *, user_id: int, current: str, new: str) -> None:
    """The user's own change: needs the current password; ends all their sessions and tokens."""
    check_password(new)
    with store.session() as s:
        user = s.get(User, user_id)
        if user is None or not user.active:
            raise NotFoundError(f"no user with id {user_id}")
        if not _verify(user.password_hash, current):
            raise WrongPassword("the current password is not right")
        user.password_hash = _HASHER.hash(new)
        ended = revoke_everything(s, user.id)
        note(s, event="user_passwd", actor=user.username, subject=user.username, detail={"revoked": ended, "own": True})


def set_active(store: Store, *, username: str, active: bool, by: str | None = None) -> UserPublic:
    """Enable or disable a login. Disabling ends every session and API token of the user."""
    with store.session() as s:
        user = _named(s, username)
        user.active = active
        ended = 0 if active else revoke_everything(s, user.id)
        note(s, event="user_enable" if active else "user_disable", actor=by, subject=user.username,
             detail=None if active else {"revoked": ended})
        return public(user)
