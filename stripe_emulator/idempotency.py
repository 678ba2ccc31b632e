"""Idempotency-Key as Stripe honours it (docs/emulator-lifecycle.md, "Idempotency").

A key on a POST stores the first answer once execution has begun, errors
included. The same key with the same request replays it (header
`Idempotent-Replayed: true`); with another request it is a 400
idempotency_error. While the first request with a key is still executing
(in flight), the same key answers 409 idempotency_key_in_use at once:
nothing executed, nothing stored, so a retry later gets the replay
(https://docs.stripe.com/api/idempotent_requests: "the request conflicts with
another request that's executing concurrently"). Keys are kept at least 24
hours (real time: Stripe's retention does not follow test clocks).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .errors import StripeError, idempotency_mismatch, invalid

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


def idempotency_key_in_use(key: str) -> StripeError:
    """https://docs.stripe.com/error-codes#idempotency-key-in-use; a 409, which the
    SDKs retry by its status (no Stripe-Should-Retry header is documented for it)."""
    return StripeError(
        "There is currently another in-progress request using this Idempotent Key (that "
        "probably means you submitted twice, and the other request is still going through): "
        f"{key}. Please try again later.",
        status=409,
        type="idempotency_error",
        code="idempotency_key_in_use",
    )


class IdempotencyStore:
    def __init__(self, ttl: int = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, StoredResponse] = OrderedDict()
        self._in_flight: dict[str, str] = {}  # key -> fingerprint, while executing

    def begin(self, key: str, print_: str) -> StoredResponse | None:
        """The stored answer to replay, or None with the key now in flight (call
        finish() when done). Raises 400 on a parameter mismatch, 409 while in flight."""
        with self._lock:
            self._prune(time.time())
            stored = self._entries.get(key)
            in_flight = self._in_flight.get(key)
            if stored is None and in_flight is None:
                self._in_flight[key] = print_
                return None
        if (stored.fingerprint if stored is not None else in_flight) != print_:
            raise idempotency_mismatch(key)
        if stored is None:
            raise idempotency_key_in_use(key)
        return stored

    def finish(self, key: str) -> None:
        with self._lock:
            self._in_flight.pop(key, None)

    def in_flight(self) -> list[str]:
        with self._lock:
            return list(self._in_flight)

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
