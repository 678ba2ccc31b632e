"""Injected faults: the next N matching API requests fail in a chosen way.

`hold` keeps a request in flight for delay_ms once its idempotency key is
registered and its customer's lock taken (outside the state lock), so that
concurrent requests meet it; `lock_timeout` answers a write (POST, DELETE)
Stripe's 429 lock_timeout without executing it (stripe_emulator/concurrency.py).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

MODES = ("500", "429", "drop", "drop_after", "delay", "hold", "lock_timeout")
WRITES_ONLY = ("lock_timeout",)


@dataclass
class Fault:
    mode: str
    count: int = 1
    path: str | None = None
    delay_ms: int = 0
    should_retry: bool = True

    def matches(self, path: str, method: str = "POST") -> bool:
        if self.mode in WRITES_ONLY and method not in ("POST", "DELETE"):
            return False
        return self.path is None or path.startswith(self.path)


class FaultError(ValueError):
    pass


def parse_fault(data: Any) -> Fault:
    if not isinstance(data, dict):
        raise FaultError("body must be a JSON object")
    unknown = set(data) - {"mode", "count", "path", "delay_ms", "should_retry"}
    if unknown:
        raise FaultError(f"unknown keys: {', '.join(sorted(unknown))}")
    mode = data.get("mode")
    if mode not in MODES:
        raise FaultError(f"mode must be one of {', '.join(MODES)}")
    count = data.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise FaultError("count must be a positive integer")
    path = data.get("path")
    if path is not None and not isinstance(path, str):
        raise FaultError("path must be a string prefix")
    delay_ms = data.get("delay_ms", 0)
    if not isinstance(delay_ms, int) or isinstance(delay_ms, bool) or delay_ms < 0:
        raise FaultError("delay_ms must be a non-negative integer")
    if mode in ("delay", "hold") and delay_ms == 0:
        raise FaultError(f"{mode} needs delay_ms")
    should_retry = data.get("should_retry", True)
    if not isinstance(should_retry, bool):
        raise FaultError("should_retry must be a boolean")
    return Fault(mode, count, path, delay_ms, should_retry)


class Faults:
    """A thread-safe queue of pending faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._pending.append(fault)

    def take(self, path: str, method: str = "POST") -> Fault | None:
        with self._lock:
            for fault in self._pending:
                if fault.matches(path, method):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._pending.remove(fault)
                    return Fault(fault.mode, 1, fault.path, fault.delay_ms, fault.should_retry)
            return None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._pending]
