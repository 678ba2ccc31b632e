"""Idempotency-Key as Stripe honours it (docs/emulator-lifecycle.md, "Idempotency").

A key on a POST stores the first answer once execution has begun, errors
included. The same key with the same request replays it (header
`Idempotent-Replayed: true`); with another request it is a 400
idempotency_error. Keys are kept at least 24 hours (real time: Stripe's
retention does not follow test clocks).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .errors import idempotency_mismatch, invalid

TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: bytes
    request_id: str
    stored_at: float


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    canonical = json.dumps([method, path, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH:
        raise invalid(
            f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long.",
            param="Idempotency-Key",
        )


class IdempotencyStore:
    def __init__(self, ttl: int = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, StoredResponse] = OrderedDict()

    def lookup(self, key: str, print_: str, now: float | None = None) -> StoredResponse | None:
        """The stored answer for `key`, None if new; raises on a parameter mismatch."""
        with self._lock:
            self._prune(time.time() if now is None else now)
            stored = self._entries.get(key)
        if stored is None:
            return None
        if stored.fingerprint != print_:
            raise idempotency_mismatch(key)
        return stored

    def store(
        self,
        key: str,
        print_: str,
        status: int,
        body: bytes,
        request_id: str,
        now: float | None = None,
    ) -> None:
        with self._lock:
            if key in self._entries:
                return
            stored_at = time.time() if now is None else now
            self._entries[key] = StoredResponse(print_, status, body, request_id, stored_at)

    def _prune(self, now: float) -> None:
        while self._entries:
            key, oldest = next(iter(self._entries.items()))
            if now - oldest.stored_at <= self.ttl:
                break
            del self._entries[key]

    def prune(self, now: float | None = None) -> None:
        with self._lock:
            self._prune(time.time() if now is None else now)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def dump(self) -> list[list[Any]]:
        """JSON-able entries, oldest first (for --state)."""
        with self._lock:
            return [
                [key, e.fingerprint, e.status, e.body.decode(), e.request_id, e.stored_at]
                for key, e in self._entries.items()
            ]

    def restore(self, entries: list[list[Any]]) -> None:
        with self._lock:
            self._entries.clear()
            for key, print_, status, body, request_id, stored_at in entries:
                self._entries[key] = StoredResponse(
                    print_, status, body.encode(), request_id, stored_at
                )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._entries
