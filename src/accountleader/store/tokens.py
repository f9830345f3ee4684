"""API tokens for scripts: shown once, stored only as SHA-256, expiring, read-only unless asked.

A token is refused once it is revoked or expired, or when its user is disabled. A password
change or a disable revokes every token of the user (users.revoke_everything).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..errors import InputError, NotFoundError
from .audit import note
from .db import Store
from .models import ApiToken, User, utcnow
from .users import UserPublic, public

TOKEN_PREFIX = "al_"
TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A live token: whose it is and what it may do."""

    id: int
    user: UserPublic
    can_write: bool
    expires_at: datetime


@dataclass(frozen=True)
class TokenPublic:
    """A token as listed to its owner or an admin: never the secret or its hash."""

    id: int
    username: str
    name: str
    can_write: bool
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def status(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or utcnow()) else "active"

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "name": self.name,
            "scope": "write" if self.can_write else "read",
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "expires_at": self.expires_at.isoformat(timespec="seconds"),
            "revoked_at": self.revoked_at.isoformat(timespec="seconds") if self.revoked_at else None,
            "status": self.status(),
        }


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InputError(f"a token lasts 1-{MAX_TOKEN_DAYS} days; {days} is outside that", value=str(days))
    return days


def create_token(store: Store, *, user_id: int, name: str, days: int = TOKEN_DAYS, write: bool = False,
                 by: str | None = None) -> str:
    """A new API token; the returned secret is shown once and never stored."""
    label = name.strip()
    if not label or len(label) > 100:
        raise InputError("token name must be 1-100 characters", value=name)
    check_days(days)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.session() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user with id {user_id}")
        if not user.active:
            raise InputError(f"user {user.username!r} is disabled; enable them first")
        s.add(ApiToken(token_hash=token_hash(token), user_id=user_id, name=label,
                       expires_at=utcnow() + timedelta(days=days), can_write=write))
        note(s, event="token_create", actor=by or user.username, subject=user.username,
             detail={"name": label, "days": days, "scope": "write" if write else "read"})
    return token


def get_token(store: Store, *, token: str) -> TokenInfo | None:
    """The live token: not revoked, not expired, its user active; else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with store.session() as s:
        row = s.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None), User.active.is_(True),
                   ApiToken.expires_at > utcnow())
        ).first()
        if row is None:
            return None
        tok, user = row
        return TokenInfo(tok.id, public(user), tok.can_write, tok.expires_at)


def verify_token(store: Store, *, token: str) -> UserPublic | None:
    """The active user owning the live ``token``, else None."""
    info = get_token(store, token=token)
    return info.user if info else None


def revoke_token(store: Store, *, token: str) -> bool:
    with store.session() as s:
        result = s.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def list_tokens(store: Store, *, user_id: int | None = None) -> list[TokenPublic]:
    """Every token (of one user when given), newest first, revoked and expired ones included."""
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    with store.session() as s:
        rows = s.execute(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
        return [TokenPublic(t.id, name, t.name, t.can_write, t.created_at, t.expires_at, t.revoked_at) for t, name in rows]


def revoke_token_id(store: Store, *, token_id: int, by: str | None = None) -> TokenPublic:
    """Revoke a token by its listed id (idempotent); NotFoundError for an unknown id."""
    with store.session() as s:
        row = s.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                        .where(ApiToken.id == token_id)).first()
        if row is None:
            raise NotFoundError(f"no API token with id {token_id}")
        tok, owner = row
        if tok.revoked_at is None:
            tok.revoked_at = utcnow()
            note(s, event="token_revoke", actor=by, subject=owner, detail={"token_id": tok.id, "name": tok.name})
        return TokenPublic(tok.id, owner, tok.name, tok.can_write, tok.created_at, tok.expires_at, tok.revoked_at)
