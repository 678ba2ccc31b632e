"""The emulator's own clock: real time plus an offset (docs/emulator-lifecycle.md, "Time").

One object per emulator. POST /_emulator/clock/advance moves it forward;
objects on a test clock read that clock's frozen_time instead. While an
advance runs the transitions that fall due, the clock is pinned to each
transition's moment in turn (`pin`), so objects and events carry the time
at which Stripe would have made them.
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self, offset: int = 0) -> None:
        self._lock = threading.Lock()
        self._offset = offset
        self._pinned: int | None = None

    def now(self) -> int:
        """Unix seconds in the emulator's simulated time."""
        with self._lock:
            if self._pinned is not None:
                return self._pinned
            return int(time.time()) + self._offset

    @property
    def offset(self) -> int:
        with self._lock:
            return self._offset

    def advance(self, seconds: int) -> int:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            return int(time.time()) + self._offset

    def pin(self, at: int | None) -> None:
        """Read `at` as now until unpinned (`pin(None)`); used while transitions run."""
        with self._lock:
            self._pinned = at

    def reset(self, offset: int = 0) -> None:
        with self._lock:
            self._offset = offset
            self._pinned = None
