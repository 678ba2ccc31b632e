"""The emulator's own clock: real time plus an offset (DESIGN.md, "Time").

One object per emulator. Part 2 advances it (POST /_emulator/clock/advance);
objects on a test clock read that clock's frozen_time instead.
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self, offset: int = 0) -> None:
        self._lock = threading.Lock()
        self._offset = offset

    def now(self) -> int:
        """Unix seconds in the emulator's simulated time."""
        with self._lock:
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

    def reset(self, offset: int = 0) -> None:
        with self._lock:
            self._offset = offset
