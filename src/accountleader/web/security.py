"""Secrets, cookies and CSRF tokens.

* The session cookie holds a random token; the server keeps only its SHA-256 (store/auth.py).
* CSRF tokens are session-bound: HMAC(secret, session hash). Before login there is no session,
  so the login form uses a double-submit nonce cookie, also HMAC'd with the secret. The nonce
  carries its issue time and is refused after LOGIN_FORM_LIFETIME seconds.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from hashlib import sha256
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from ..config import environment
from ..errors import ConfigError

SECRET_FILE = ".secret_key"
SESSION_COOKIE = "al_session"
LOGIN_NONCE_COOKIE = "al_login_nonce"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_FORM_LIFETIME = 3600
# A login page reuses the visitor's nonce only while this much of its life is left.
_NONCE_REUSE_MARGIN = 900


def load_secret_key(workspace: Path) -> str:
    """ACCOUNTLEADER_SECRET_KEY, else the workspace's own key, created on first run with mode 0600."""
    from_env = environment().secret_key
    if from_env:
        if len(from_env) < 32:
            raise ConfigError("ACCOUNTLEADER_SECRET_KEY is too short: use at least 32 random characters")
        return from_env
    path = Path(workspace) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="utf-8").strip()
        if len(key) < 32:
            raise ConfigError(f"{path}: secret key is damaged; delete the file to make a new one") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return key


def _sign(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), sha256).hexdigest()


def session_csrf_token(secret: str, session_hash: str) -> str:
    return _sign(secret, "csrf", session_hash)


def login_csrf_token(secret: str, nonce: str) -> str:
    return _sign(secret, "login", nonce)


def tokens_match(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=is_https(request), path="/"
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, httponly=True, samesite="lax", secure=is_https(request), path="/")


def new_nonce(now: float | None = None) -> str:
    """A login-form nonce: its issue time (whole seconds) and a random part."""
    return f"{int(time.time() if now is None else now)}.{secrets.token_urlsafe(24)}"


def nonce_age(nonce: str, now: float | None = None) -> float | None:
    """Seconds since the nonce was issued; None when it is malformed or from the future."""
    issued, _, rand = nonce.partition(".")
    if not issued.isdigit() or len(issued) > 12 or not rand:
        return None
    age = (time.time() if now is None else now) - int(issued)
    return age if age >= -60 else None


def login_nonce_fresh(nonce: str, *, margin: float = 0.0, now: float | None = None) -> bool:
    """True while the nonce has more than ``margin`` seconds of its lifetime left."""
    age = nonce_age(nonce, now)
    return age is not None and age < LOGIN_FORM_LIFETIME - margin


def reusable_nonce(nonce: str | None) -> str:
    """The visitor's nonce if it will stay valid long enough to fill in the form, else a new one."""
    return nonce if nonce and login_nonce_fresh(nonce, margin=_NONCE_REUSE_MARGIN) else new_nonce()


def client_address(request: Request) -> str | None:
    """The peer address as the server sees it (proxies' X-Forwarded-For is not trusted here)."""
    return request.client.host if request.client else None


def safe_next(target: str | None) -> str:
    """Only same-site paths after login: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/team"
    return target
