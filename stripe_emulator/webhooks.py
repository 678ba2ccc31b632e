"""Signed webhook delivery (docs/emulator-lifecycle.md, "Webhook signing and delivery").

Every event is sent to each enabled endpoint whose enabled_events match it
(the endpoint ids are fixed on the event when it is recorded), from a few
background threads:

- `Stripe-Signature: t=<unix>,v1=<hex>,v0=<hex>` where t is the real
  wall-clock time of this attempt (not the simulated time: docs/architecture.md,
  "Time: three clocks")
  and v1 = HMAC-SHA256(endpoint secret, f"{t}.{payload}"); v0 is a fake
  signature as on Stripe's test events. Each retry is signed afresh.
- Anything but a 2xx within the timeout (3xx included, redirects are not
  followed) or a refused connection is a failure: the attempt is retried
  after `retry_schedule[n]` seconds (Stripe's test mode: 3 retries over a
  few hours; compressed here), then given up.
- At least once, in no guaranteed order (several senders run at once).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .store import State, strip

log = logging.getLogger("stripe_emulator.webhooks")

DEFAULT_RETRY_SCHEDULE = (1.0, 2.0, 4.0)
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
MAX_LOG = 10_000


def sign(payload: str, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header for one attempt."""
    signed = f"{timestamp}.{payload}".encode()
    v1 = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    v0 = hmac.new(b"stripe-emulator-v0", signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={v1},v0={v0}"


@dataclass(order=True)
class Delivery:
    due: float
    seq: int
    event_id: str = field(compare=False)
    event_type: str = field(compare=False)
    endpoint_id: str = field(compare=False)
    url: str = field(compare=False)
    secret: str = field(compare=False)
    payload: str = field(compare=False)
    attempts: int = field(default=0, compare=False)
    generation: int = field(default=0, compare=False)


class Deliveries:
    """The delivery queue and its sender threads."""

    def __init__(
        self,
        state: State,
        retry_schedule: tuple[float, ...] | list[float] = DEFAULT_RETRY_SCHEDULE,
        *,
        senders: int = 4,
        timeout: float = 10.0,
    ) -> None:
        self.state = state
        self.default_schedule = tuple(float(s) for s in retry_schedule)
        self.retry_schedule = self.default_schedule
        self.timeout = timeout
        self._cond = threading.Condition()
        self._heap: list[Delivery] = []
        self._inflight = 0
        self._generation = 0
        self._seq = itertools.count()
        self._log: deque[dict[str, Any]] = deque(maxlen=MAX_LOG)
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._run, name=f"webhook-sender-{i}", daemon=True)
            for i in range(senders)
        ]
        self.counts = {"attempts": 0, "delivered": 0, "failed": 0}
        state.hooks["dump_deliveries"] = self.dump

    # -- lifecycle -----------------------------------------------------
    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 1)

    def clear(self) -> None:
        """Forget every pending delivery and the log; attempts in flight are disowned."""
        with self._cond:
            self._generation += 1
            self._heap.clear()
            self._log.clear()
            self.retry_schedule = self.default_schedule
            self.counts = {"attempts": 0, "delivered": 0, "failed": 0}
            self._cond.notify_all()

    # -- enqueue (under the state lock) -----------------------------------
    def release(self) -> int:
        """Queue the events recorded since the last release. Call with state.lock held."""
        events, self.state.outbox = self.state.outbox, []
        queued = 0
        for event in events:
            queued += self._queue_event(event, attempts=0)
        return queued

    def _queue_event(self, event: dict[str, Any], attempts: int, only: str | None = None) -> int:
        payload = json.dumps(strip(event), indent=2)
        queued = 0
        with self._cond:
            for endpoint_id in event.get("_endpoints", []):
                if only is not None and endpoint_id != only:
                    continue
                endpoint = self.state.find("webhook_endpoint", endpoint_id)
                if endpoint is None:
                    continue
                heapq.heappush(
                    self._heap,
                    Delivery(
                        due=time.monotonic(),
                        seq=next(self._seq),
                        event_id=event["id"],
                        event_type=event["type"],
                        endpoint_id=endpoint_id,
                        url=endpoint["url"],
                        secret=endpoint["_secret"],
                        payload=payload,
                        attempts=attempts,
                        generation=self._generation,
                    ),
                )
                queued += 1
            self._cond.notify_all()
        return queued

    # -- persistence -----------------------------------------------------
    def dump(self) -> list[list[Any]]:
        with self._cond:
            return [[d.event_id, d.endpoint_id, d.attempts] for d in self._heap]

    def restore(self, rows: list[list[Any]]) -> None:
        """Re-queue deliveries saved by --state (call with state.lock held)."""
        for event_id, endpoint_id, attempts in rows:
            event = self.state.find("event", event_id)
            if event is not None:
                self._queue_event(event, attempts=attempts, only=endpoint_id)

    # -- observation -------------------------------------------------------
    def attempts(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._log)

    def pending(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        with self._cond:
            return [
                {
                    "event": d.event_id,
                    "type": d.event_type,
                    "endpoint": d.endpoint_id,
                    "attempts": d.attempts,
                    "due_in": max(0.0, round(d.due - now, 3)),
                }
                for d in sorted(self._heap)
            ]

    def flush(self, *, retries: bool = False, timeout: float = 60.0) -> dict[str, Any]:
        """Return once every delivery due now has been attempted (with `retries`, once
        nothing is left: every retry made or given up)."""
        mark = time.monotonic()
        deadline = mark + timeout
        with self._cond:
            generation = self._generation
            while True:
                if generation != self._generation:
                    break
                due = [d for d in self._heap if retries or d.due <= mark]
                if not due and self._inflight == 0:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(remaining, 0.05))
            return {
                "pending": len(self._heap),
                "in_flight": self._inflight,
                **self.counts,
            }

    # -- the senders ---------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    if self._heap and self._heap[0].due <= time.monotonic():
                        break
                    wait = self._heap[0].due - time.monotonic() if self._heap else None
                    self._cond.wait(wait if wait is None else max(wait, 0.001))
                if self._stopping:
                    return
                delivery = heapq.heappop(self._heap)
                self._inflight += 1
            try:
                self._attempt(delivery)
            finally:
                with self._cond:
                    self._inflight -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        endpoint = self.state.find("webhook_endpoint", delivery.endpoint_id)
        if endpoint is None or endpoint["status"] != "enabled":
            self._settled(delivery)  # deleted or disabled since: Stripe stops sending
            return
        timestamp = int(time.time())
        status, error = self._post(delivery, timestamp)
        ok = status is not None and 200 <= status < 300
        delivery.attempts += 1
        with self._cond:
            if delivery.generation != self._generation:
                return  # a reset happened while this was in flight
            self.counts["attempts"] += 1
            retry_in = None
            if not ok and delivery.attempts <= len(self.retry_schedule):
                retry_in = self.retry_schedule[delivery.attempts - 1]
                delivery.due = time.monotonic() + retry_in
                delivery.seq = next(self._seq)
                heapq.heappush(self._heap, delivery)
            elif ok:
                self.counts["delivered"] += 1
            else:
                self.counts["failed"] += 1
            self._log.append(
                {
                    "event": delivery.event_id,
                    "type": delivery.event_type,
                    "endpoint": delivery.endpoint_id,
                    "url": delivery.url,
                    "attempt": delivery.attempts,
                    "t": timestamp,
                    "status": status,
                    "error": error,
                    "ok": ok,
                    "retry_in": retry_in,
                }
            )
        if ok or retry_in is None:
            self._settled(delivery)

    def _settled(self, delivery: Delivery) -> None:
        """The event has one webhook fewer pending (delivered or given up)."""
        with self.state.lock:
            event = self.state.find("event", delivery.event_id)
            if event is not None and event["pending_webhooks"] > 0:
                event["pending_webhooks"] -= 1

    def _post(self, delivery: Delivery, timestamp: int) -> tuple[int | None, str | None]:
        url = urlsplit(delivery.url)
        body = delivery.payload.encode()
        conn_class = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        conn = conn_class(url.hostname or "127.0.0.1", url.port, timeout=self.timeout)
        try:
            conn.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": USER_AGENT,
                    "Stripe-Signature": sign(delivery.payload, delivery.secret, timestamp),
                    "Cache-Control": "no-cache",
                    "Accept": "*/*; q=0.5, application/xml",
                },
            )
            response = conn.getresponse()
            response.read()
            return response.status, None
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)
