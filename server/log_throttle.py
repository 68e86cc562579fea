"""At most one log line per key per window, so a caller cannot flood the log with bad requests."""

from __future__ import annotations

import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0
# Distinct keys remembered; past this the oldest are forgotten (a flood of new keys cannot grow memory).
MAX_KEYS = 1024


class LogThrottle:
    """`allow(key)` is True once per `window_seconds` for each key; `take_suppressed(key)` counts the rest."""

    def __init__(self, window_seconds: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic):
        self._window = window_seconds
        self._clock = clock
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def allow(self, key: str) -> bool:
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._window:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        if last is None and len(self._last) >= MAX_KEYS:
            oldest = next(iter(self._last))
            del self._last[oldest]
            self._suppressed.pop(oldest, None)
        self._last.pop(key, None)
        self._last[key] = now
        return True

    def take_suppressed(self, key: str) -> int:
        """How many lines for `key` were held back since the last allowed one (and reset the count)."""
        return self._suppressed.pop(key, 0)
