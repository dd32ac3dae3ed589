"""Rate limiting shared by the front doors: a sliding one-minute window per user or client."""

import time
from collections import deque
from collections.abc import Callable, Hashable


class RateLimiter:
    """At most `per_minute` events per key (a Telegram user, an HTTP client address) in any sliding window."""

    def __init__(self, per_minute: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._seen: dict[Hashable, deque[float]] = {}

    def acquire(self, key: Hashable) -> float:
        """0 when `key` may go ahead now (the event is counted); otherwise the seconds until it may."""
        now = self.clock()
        if len(self._seen) > 10_000:  # forget idle keys, so memory stays bounded
            self._seen = {k: q for k, q in self._seen.items() if q and q[-1] > now - self.window}
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return seen[0] + self.window - now
        seen.append(now)
        return 0.0
