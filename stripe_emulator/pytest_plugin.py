"""Pytest fixtures for the Stripe emulator (enabled from tests/conftest.py).

- `stripe_emulator_server` (session): a real emulator on a free 127.0.0.1 port,
  in a background thread, stopped at the end of the session.
- `stripe_emulator` (function): the same handle, with the state reset first.
- `stripe_client` (function): a `stripe.StripeClient` pointed at it (no retries
  unless asked: `stripe_emulator.client(max_network_retries=2)`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from .server import EmulatorServer

# The one key the session's emulator accepts (any other is a 401, as at Stripe).
API_KEY = "sk_test_emulator"
# The publishable key it accepts where Stripe.js uses one (its stand-in: `.stripe_js_url`).
PUBLISHABLE_KEY = "pk_test_emulator"
TEST_WEBHOOK_RETRIES = (0.05, 0.1, 0.2)


class ControlError(Exception):
    """A /_emulator/ call answered with an error status."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


class EmulatorHandle:
    """What tests get: `.url`, `.api_key`, and helpers for the /_emulator/ control API."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.url = server.url
        self.host = server.host
        self.port = server.port
        # A key the server accepts: API_KEY for the fixtures' server.
        self.api_key = API_KEY if API_KEY in server.api_keys else min(server.api_keys)
        self.publishable_key = (
            PUBLISHABLE_KEY
            if PUBLISHABLE_KEY in server.publishable_keys
            else min(server.publishable_keys)
        )
        # Where a page loads the Stripe.js stand-in (instead of https://js.stripe.com/v3/).
        self.stripe_js_url = f"{server.url}/v3/"

    # -- control API over HTTP ------------------------------------------
    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - loopback http by design
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            raise ControlError(err.code, json.loads(err.read() or b"null")) from None

    def reset(self) -> None:
        self.control("POST", "/_emulator/reset", {})

    def fault(
        self,
        mode: str,
        count: int = 1,
        path: str | None = None,
        delay_ms: int | None = None,
        should_retry: bool | None = None,
    ) -> list[dict[str, Any]]:
        """The next `count` API requests under `path` (a prefix) fail as `mode`: 500, 429,
        drop, drop_after, delay (sleep delay_ms first), hold (keep the request in flight
        for delay_ms, key registered and customer locked), lock_timeout (a write answers
        Stripe's 429 lock_timeout unexecuted)."""
        body: dict[str, Any] = {"mode": mode, "count": count}
        if path is not None:
            body["path"] = path
        if delay_ms is not None:
            body["delay_ms"] = delay_ms
        if should_retry is not None:
            body["should_retry"] = should_retry
        return self.control("POST", "/_emulator/faults", body)["faults"]

    def clear_faults(self) -> None:
        self.control("DELETE", "/_emulator/faults")

    def requests(self) -> list[dict[str, Any]]:
        return self.control("GET", "/_emulator/requests")["requests"]

    def clock(self) -> int:
        return self.control("GET", "/_emulator/clock")["now"]

    def authenticate(self, intent_id: str, outcome: str = "succeed") -> dict[str, Any]:
        """Complete ("succeed") or fail the 3DS step of a requires_action PaymentIntent or
        SetupIntent, as the customer would in Stripe.js. Returns the intent."""
        return self.control(
            "POST", f"/_emulator/intents/{intent_id}/authenticate", {"outcome": outcome}
        )

    # -- time and webhooks (part 2) ------------------------------------------------
    def advance(self, seconds: int | None = None, *, to: int | None = None) -> dict[str, Any]:
        """Move the emulator clock (objects not on a test clock) by `seconds`, or to the
        unix time `to`, and run every transition that falls due, in time order, each at
        its own moment. Returns {"now", "transitions": [{at, transition, object}]}.
        The clock keeps running in real time afterwards (what then falls due runs too)."""
        body = {"seconds": int(seconds)} if to is None else {"to": int(to)}
        return self.control("POST", "/_emulator/clock/advance", body)

    def flush(self, retries: bool = False, timeout: float = 60) -> dict[str, Any]:
        """Return once advancing test clocks are ready and every delivery due now has been
        attempted (`retries=True`: until none is left, retries made or given up).
        Returns counts {pending, in_flight, attempts, delivered, failed}."""
        return self.control(
            "POST", "/_emulator/webhooks/flush", {"retries": retries, "timeout": timeout}
        )

    def register_webhook(
        self,
        url: str,
        secret: str | None = None,
        events: list[str] | None = None,
        api_version: str | None = None,
    ) -> dict[str, Any]:
        """A webhook endpoint (all events unless `events`), with a known `secret` if given
        (and an `api_version`: only the one served is accepted). Returns the endpoint as
        Stripe shows it at creation, `secret` included."""
        body: dict[str, Any] = {"url": url}
        if secret is not None:
            body["secret"] = secret
        if events is not None:
            body["enabled_events"] = list(events)
        if api_version is not None:
            body["api_version"] = api_version
        return self.control("POST", "/_emulator/webhooks/endpoints", body)

    def webhook_attempts(self) -> list[dict[str, Any]]:
        """Every delivery attempt so far: {event, type, endpoint, url, attempt, t, status,
        error, ok, retry_in}."""
        return self.control("GET", "/_emulator/webhooks")["attempts"]

    def pending_webhooks(self) -> list[dict[str, Any]]:
        return self.control("GET", "/_emulator/webhooks")["pending"]

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Read or change account settings until the next reset: payment_retry_days (list),
        after_retries ("canceled"|"unpaid"|"past_due"), webhook_retry_schedule (seconds),
        lock_timeout_seconds (a write's wait for its customer's lock; 2.0)."""
        if changes:
            return self.control("POST", "/_emulator/settings", changes)
        return self.control("GET", "/_emulator/settings")

    def client(self, **options: Any):
        """A StripeClient for this emulator (options: e.g. max_network_retries=2)."""
        import stripe  # noqa: TID251 - test helper; the emulator itself never imports stripe

        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(self.api_key, base_addresses={"api": self.url}, **options)


@pytest.fixture(scope="session")
def stripe_emulator_server() -> Iterator[EmulatorHandle]:
    # Webhook retries compressed to fractions of a second, so a flush(retries=True) is quick.
    server = EmulatorServer(
        "127.0.0.1",
        0,
        api_keys=[API_KEY],
        publishable_keys=[PUBLISHABLE_KEY],
        webhook_retry_schedule=TEST_WEBHOOK_RETRIES,
    ).start()
    try:
        yield EmulatorHandle(server)
    finally:
        server.stop()


@pytest.fixture
def stripe_emulator(stripe_emulator_server: EmulatorHandle) -> EmulatorHandle:
    stripe_emulator_server.reset()
    return stripe_emulator_server


@pytest.fixture
def stripe_client(stripe_emulator: EmulatorHandle):
    return stripe_emulator.client()
