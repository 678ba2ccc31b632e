"""Requests run concurrently, as at Stripe (docs/emulator-lifecycle.md, "Concurrency").

Each request is handled on its own thread. What a request does, in order:

1. An idempotency key (POST) is registered as in flight, or answered at once:
   the stored answer replayed, or 409 idempotency_key_in_use while the first
   request with that key is still running (nothing executed, nothing stored).
2. A write (POST, DELETE) takes its customer's object lock for the whole
   request. The customer is known before executing: the object in the path
   (/v1/customers/{id}, or the customer of /v1/subscriptions/{id},
   /v1/invoices/{id}/pay, /v1/payment_methods/{id}/detach, ...: its
   `customer`, else its subscription's), else the request's `customer`
   parameter; a write with neither (a new customer, a price) locks nothing.
   A second write to the same customer waits up to the `lock_timeout_seconds`
   setting, then answers 429 lock_timeout with `Stripe-Should-Retry: true`
   (not stored under its key: a retry with the same key runs anew).
3. A `hold` fault sleeps here, key registered and lock held, outside the state
   lock, so other requests meet this one in flight.
4. The handler runs under the state lock (short), its answer is stored under
   the key, then the lock and the key are released.

Sources: https://docs.stripe.com/api/idempotent_requests,
https://docs.stripe.com/error-low-level#idempotency,
https://docs.stripe.com/rate-limits#object-lock-timeouts.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from typing import Any

from . import errors
from .errors import StripeError
from .idempotency import check_key, fingerprint
from .params import get_expand
from .resources import Context
from .store import State, expand

log = logging.getLogger("stripe_emulator")

LOCK_TIMEOUT_SECONDS = 2.0
WRITES = ("POST", "DELETE")


def lock_timeout() -> StripeError:
    """https://docs.stripe.com/error-codes#lock-timeout; the SDKs retry it (the header)."""
    return StripeError(
        "This object cannot be accessed right now because another API request or Stripe "
        "process is currently accessing it. If you see this error intermittently, retry the "
        "request. If you see this error frequently and are making multiple concurrent "
        "requests to a single object, make your requests serially or at a lower rate.",
        status=429,
        code="lock_timeout",
        headers={"Stripe-Should-Retry": "true"},
    )


class ObjectLocks:
    """One lock per customer, held by a write for its whole request."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def acquire(self, customer: str, timeout: float) -> bool:
        with self._guard:
            lock = self._locks.setdefault(customer, threading.Lock())
        return lock.acquire(timeout=max(timeout, 0))

    def release(self, customer: str) -> None:
        with self._guard:
            lock = self._locks[customer]
        lock.release()


def customer_of(state: State, path: str, params: dict[str, Any]) -> str | None:
    """The customer a write touches: the path's object's, else the `customer` param."""
    segments = path.split("/")  # "", "v1", resource, id, ...
    if len(segments) >= 4 and segments[3]:
        with state.lock:
            obj = state.lookup_any(segments[3])
            if obj is not None:
                if obj.get("object") == "customer":
                    return str(obj["id"])
                found = _id(obj.get("customer"))
                if found is None and obj.get("subscription"):
                    sub = state.find("subscription", _id(obj["subscription"]) or "")
                    found = _id(sub.get("customer")) if sub else None
                if found is not None:
                    return found
    return _id(params.get("customer"))


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def execute(
    emu: Any,
    route: Any,
    args: dict[str, Any],
    params: dict[str, Any],
    key: str | None,
    request_id: str,
    path: str,
    hold_ms: int = 0,
) -> tuple[int, bytes, str | None]:
    """(status, body, replayed request id or None): steps 1 to 4 of the module doc."""
    state = emu.state
    print_ = ""
    if key:
        check_key(key)
        print_ = fingerprint("POST", path, params)
        stored = emu.idempotency.begin(key, print_)  # raises 409 while in flight
        if stored is not None:
            return stored.status, stored.body, stored.request_id
    customer = None
    try:
        if route.method in WRITES:
            customer = customer_of(state, path, params)
            timeout = float(state.settings.get("lock_timeout_seconds", LOCK_TIMEOUT_SECONDS))
            if customer is not None and not emu.locks.acquire(customer, timeout):
                customer = None
                raise lock_timeout()
        if hold_ms:
            time.sleep(hold_ms / 1000)
        status, body = _run(emu, route, args, params, (key, print_), request_id)
        return status, body, None
    finally:
        if customer is not None:
            emu.locks.release(customer)
        if key:
            emu.idempotency.finish(key)


def _run(emu, route, args, params, keyed, request_id) -> tuple[int, bytes]:
    """The handler under the state lock; a Stripe error or a bug becomes its answer,
    stored under the key (before the state is saved, so --state keeps both)."""
    state = emu.state
    key, print_ = keyed
    with state.lock:
        ctx = Context(state, request_id, key)
        try:
            result = route.handler(ctx, params, **args)
            status, payload = 200, expand(state, result, get_expand(params))
        except StripeError as err:
            status, payload = err.status, err.body(request_id)
        except Exception:  # noqa: BLE001 - a bug answers 500 like Stripe's api_error
            log.error("handler failed:\n%s", traceback.format_exc())
            status, payload = 500, errors.api_error().body(request_id)
        body = json.dumps(payload).encode()
        emu.deliveries.release()
        if key:
            emu.idempotency.store(key, print_, status, body, request_id)
        if state.path and route.method != "GET":
            state.save()
        return status, body
