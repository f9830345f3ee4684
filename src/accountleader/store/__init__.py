"""The application database: users, sessions, API tokens and settings (SQLAlchemy 2 + Alembic).

SQLite at ``<workspace>/app.sqlite`` by default; PostgreSQL for teams via
``ACCOUNTLEADER_DATABASE_URL``. Every repository function takes the Store first and the
rest by keyword.
"""

from .auth import (
    SessionInfo,
    create_session,
    create_token,
    get_session,
    revoke_session,
    revoke_token,
    revoke_user_sessions,
    token_hash,
    verify_token,
)
from .db import Store, default_url, open_store
from .settings import get_setting, get_settings, set_setting
from .users import (
    UserPublic,
    authenticate,
    create_user,
    get_user,
    list_users,
    set_password,
    set_role,
)

__all__ = [
    "SessionInfo",
    "Store",
    "UserPublic",
    "authenticate",
    "create_session",
    "create_token",
    "create_user",
    "default_url",
    "get_session",
    "get_setting",
    "get_settings",
    "get_user",
    "list_users",
    "open_store",
    "revoke_session",
    "revoke_token",
    "revoke_user_sessions",
    "set_password",
    "set_role",
    "set_setting",
    "token_hash",
    "verify_token",
]
