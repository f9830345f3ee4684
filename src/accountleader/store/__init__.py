"""The application database: users, sessions, API tokens, settings, audit log (SQLAlchemy 2 + Alembic).

SQLite at ``<workspace>/app.sqlite`` by default; PostgreSQL for teams via
``ACCOUNTLEADER_DATABASE_URL``. Every repository function takes the Store first and the
rest by keyword.
"""

from .audit import AuditEntry, list_audit, record
from .auth import (
    SessionInfo,
    create_session,
    get_session,
    revoke_session,
    revoke_user_sessions,
)
from .db import Store, default_url, open_store
from .settings import get_setting, get_settings, set_setting
from .tokens import (
    TOKEN_DAYS,
    TokenInfo,
    TokenPublic,
    create_token,
    get_token,
    list_tokens,
    revoke_token,
    revoke_token_id,
    token_hash,
    verify_token,
)
from .users import (
    UserPublic,
    authenticate,
    change_own_password,
    create_user,
    get_user,
    list_users,
    set_active,
    set_password,
    set_role,
)

__all__ = [
    "TOKEN_DAYS",
    "AuditEntry",
    "SessionInfo",
    "Store",
    "TokenInfo",
    "TokenPublic",
    "UserPublic",
    "authenticate",
    "change_own_password",
    "create_session",
    "create_token",
    "create_user",
    "default_url",
    "get_session",
    "get_setting",
    "get_settings",
    "get_token",
    "get_user",
    "list_audit",
    "list_tokens",
    "list_users",
    "open_store",
    "record",
    "revoke_session",
    "revoke_token",
    "revoke_token_id",
    "revoke_user_sessions",
    "set_active",
    "set_password",
    "set_role",
    "set_setting",
    "token_hash",
    "verify_token",
]
