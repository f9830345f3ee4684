"""Login throttling: failures are counted per account and per client address.

``limit`` failures within ``window`` seconds on either key lock it: further attempts answer
429 with Retry-After, without checking the password. Each lockout of the same key doubles the
wait (``window``, 2x, 4x ... up to ``max_wait``); a key that stays quiet for ``max_wait`` starts
over. The table holds at most ``capacity`` keys, oldest-touched dropped first, so a flood of
made-up usernames or addresses costs bounded memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Entry:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0
    lockouts: int = 0
    last_seen: float = 0.0


class LoginLimiter:
    def __init__(self, *, limit: int = 10, window: float = 60.0, max_wait: float = 3600.0,
                 capacity: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.max_wait, self.capacity = limit, window, max_wait, capacity
        self.clock = clock
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def keys(username: str, address: str | None) -> list[tuple[str, str]]:
        # unknown and real usernames are tracked alike: the limiter reveals nothing about accounts
        return [("user", username.strip().lower()[:150]), ("addr", (address or "unknown")[:64])]

    def retry_after(self, keys: list[tuple[str, str]]) -> int:
        """Seconds until these keys may try again; 0 when they may try now."""
        now = self.clock()
        with self._lock:
            waits = [e.locked_until - now for k in keys if (e := self._entries.get(k)) is not None]
        wait = max(waits, default=0.0)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, keys: list[tuple[str, str]]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                entry = self._touch(key, now)
                entry.failures.append(now)
                while entry.failures and entry.failures[0] <= now - self.window:
                    entry.failures.popleft()
                if len(entry.failures) >= self.limit:
                    entry.locked_until = now + min(self.window * 2**entry.lockouts, self.max_wait)
                    entry.lockouts += 1
                    entry.failures.clear()

    def succeeded(self, keys: list[tuple[str, str]]) -> None:
        """A good login clears the account's count (never the address's: one known password
        must not reset the counter an address uses to guess at other accounts)."""
        with self._lock:
            for key in keys:
                if key[0] == "user":
                    self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _touch(self, key: tuple[str, str], now: float) -> _Entry:
        entry = self._entries.get(key)
        if entry is None or (now - entry.last_seen > self.max_wait and entry.locked_until <= now):
            entry = _Entry()
        entry.last_seen = now
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return entry
