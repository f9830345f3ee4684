"""A burst of logins is verified a few at a time, and waiting logins hold no database connection.

argon2 takes 64 MiB per check with the production parameters; 16 bad logins at once took a
server from 540 to 1,488 MB. The checks now take turns (two at a time)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from web_support import PASSWORD, WebApp

from accountleader import store as app_store
from accountleader.store import users as store_users


class _Counting:
    """Wraps the hasher: counts how many verifications run at the same moment."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    def verify(self, hashed: str, password: str) -> bool:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(0.05)  # long enough for the others to pile up
            return self.inner.verify(hashed, password)  # type: ignore[attr-defined]
        finally:
            with self.lock:
                self.now -= 1

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_sixteen_logins_at_once_are_verified_at_most_two_at_a_time(web: WebApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    web.add_user("rita", "rep", "005RITA")
    counting = _Counting(store_users._HASHER)
    monkeypatch.setattr(store_users, "_HASHER", counting)
    attempts = [("rita", PASSWORD if i % 4 == 0 else "wrong-password") for i in range(12)] + \
               [(f"nobody{i}", "wrong-password") for i in range(4)]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda a: app_store.authenticate(web.store, username=a[0], password=a[1]), attempts))
    assert counting.most == 2
    # the right password still works under load, and nothing else does
    assert [r is not None for r in results] == [a == ("rita", PASSWORD) for a in attempts]
