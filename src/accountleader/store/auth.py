"""Browser sessions: random secrets handed out once, stored only as SHA-256.

API tokens live in tokens.py (re-exported here for callers that import them from auth).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..errors import NotFoundError
from .db import Store
from .models import User, WebSession, utcnow
from .tokens import (  # noqa: F401 - re-exported
    TOKEN_PREFIX,
    create_token,
    get_token,
    revoke_token,
    token_hash,
    verify_token,
)
from .users import UserPublic, public

SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class SessionInfo:
    """A live session: who it belongs to, and the hash that identifies it (for CSRF binding)."""

    user: UserPublic
    token_hash: str
    expires_at: datetime


def create_session(store: Store, *, user_id: int, lifetime: timedelta = SESSION_LIFETIME) -> str:
    """A new session for the user; returns the secret token for the cookie."""
    token = secrets.token_urlsafe(32)
    with store.session() as s:
        if s.get(User, user_id) is None:
            raise NotFoundError(f"no user with id {user_id}")
        s.add(WebSession(token_hash=token_hash(token), user_id=user_id, expires_at=utcnow() + lifetime))
    return token


def get_session(store: Store, *, token: str) -> SessionInfo | None:
    """The session for ``token`` if it exists, is not expired or revoked, and its user is active."""
    if not token:
        return None
    digest = token_hash(token)
    with store.session() as s:
        row = s.execute(
            select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.token_hash == digest)
        ).first()
        if row is None:
            return None
        sess, user = row
        if sess.revoked_at is not None or sess.expires_at <= utcnow() or not user.active:
            return None
        return SessionInfo(public(user), digest, sess.expires_at)


def revoke_session(store: Store, *, token: str) -> bool:
    """End a session (logout). True when a live session was revoked."""
    with store.session() as s:
        result = s.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash(token), WebSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return bool(result.rowcount)


def revoke_user_sessions(store: Store, *, user_id: int) -> int:
    with store.session() as s:
        result = s.execute(
            update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None)).values(revoked_at=utcnow())
        )
        return int(result.rowcount)
