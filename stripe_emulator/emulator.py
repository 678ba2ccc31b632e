"""One emulator: its state, idempotency keys, faults, request log, the scheduler (time)
and the webhook sender, with the operations the control API exposes."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from .concurrency import ObjectLocks
from .faults import Faults
from .lifecycle.dunning import AFTER_RETRIES
from .resources import Context, install_hooks
from .resources.payment_intents import authenticate_payment_intent
from .resources.setup_intents import authenticate_setup_intent
from .resources.webhook_endpoints import webhook_endpoint_object
from .scheduler import Scheduler
from .store import State
from .webhooks import DEFAULT_RETRY_SCHEDULE, Deliveries

MAX_LOG = 10_000


class Emulator:
    """Everything one emulator holds: state, idempotency keys, faults, request log,
    the scheduler (time) and the webhook sender."""

    def __init__(
        self,
        state_path: str | None = None,
        *,
        webhook_retry_schedule: tuple[float, ...] | list[float] = DEFAULT_RETRY_SCHEDULE,
        payment_retry_days: list[float] | None = None,
        after_retries: str | None = None,
    ) -> None:
        settings: dict[str, Any] = {}
        if payment_retry_days is not None:
            settings["payment_retry_days"] = list(payment_retry_days)
        if after_retries is not None:
            settings["after_retries"] = after_retries
        check_settings(settings)
        self.state = State(state_path, settings=settings)
        install_hooks(self.state)
        self.idempotency = self.state.idempotency
        self.faults = Faults()
        self.locks = ObjectLocks()  # customers' object locks (concurrency.py)
        self._log: deque[dict[str, Any]] = deque(maxlen=MAX_LOG)
        self._log_lock = threading.Lock()
        self.deliveries = Deliveries(self.state, webhook_retry_schedule)
        self.scheduler = Scheduler(self.state, self.deliveries)
        self.state.hooks["on_event"] = _to_outbox
        self.state.hooks["advance_test_clock"] = self.scheduler.start_test_clock
        with self.state.lock:
            self.deliveries.restore(self.state.loaded_deliveries)
            self.state.loaded_deliveries = []
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.deliveries.start()
            self.scheduler.start()

    def stop(self) -> None:
        if self._started:
            self.scheduler.stop()
            self.deliveries.stop()
            self._started = False

    def flush(self, *, retries: bool = False, timeout: float = 60.0) -> dict[str, Any]:
        """Run what is due, wait for advancing test clocks, then for the deliveries."""
        self.scheduler.wait_idle(timeout)
        self.scheduler.due_now()
        return self.deliveries.flush(retries=retries, timeout=timeout)

    def settings(self, changes: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.state.lock:
            if changes:
                schedule = changes.pop("webhook_retry_schedule", None)
                check_settings(changes)
                if schedule is not None:
                    self.deliveries.retry_schedule = _seconds_list(schedule)
                self.state.settings.update(changes)
            return {
                **self.state.settings,
                "webhook_retry_schedule": list(self.deliveries.retry_schedule),
            }

    def reset(self) -> None:
        with self.state.lock:
            self.state.reset()
            self.scheduler.clear()
            self.deliveries.clear()
            self.faults.clear()
            with self._log_lock:
                self._log.clear()

    def record(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            self._log.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return list(self._log)

    def authenticate(self, intent_id: str, *, succeed: bool) -> dict[str, Any]:
        """Complete (or fail) the 3DS step of a requires_action intent, as Stripe.js would."""
        with self.state.lock:
            ctx = Context(self.state, None, None)
            if intent_id.startswith("seti_"):
                seti = ctx.get("setup_intent", intent_id)
                authenticate_setup_intent(ctx, seti, succeed)
                result = ctx.render(seti)
            else:
                pi = ctx.get("payment_intent", intent_id)
                authenticate_payment_intent(ctx, pi, succeed)
                result = ctx.render(pi)
            self.deliveries.release()
            self.state.save()
            return result

    def register_webhook(
        self,
        url: str,
        secret: str | None = None,
        events: list[str] | None = None,
        api_version: str | None = None,
    ) -> dict[str, Any]:
        """An endpoint with a known secret (--webhook-url/--webhook-secret, tests).
        Returns it as created through the API (with its `secret`); an `api_version`
        other than the one served is refused as the API refuses it (versions.py)."""
        params: dict[str, Any] = {"url": url, "enabled_events": list(events or ["*"])}
        if api_version is not None:
            params["api_version"] = api_version
        with self.state.lock:
            ctx = Context(self.state, None, None)
            endpoint = webhook_endpoint_object(ctx, params, secret=secret)
            ctx.insert(endpoint)
            self.state.save()
            body = ctx.render(endpoint)
            body["secret"] = endpoint["_secret"]
            return body


def _to_outbox(state: State, event: dict[str, Any]) -> None:
    if event["_endpoints"]:
        state.outbox.append(event)


def _seconds_list(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, int | float) and v >= 0 for v in value
    ):
        raise ValueError("a schedule is a list of non-negative numbers")
    return tuple(float(v) for v in value)


def check_settings(settings: dict[str, Any]) -> None:
    """Raise ValueError for unknown or malformed settings."""
    for key, value in settings.items():
        if key == "payment_retry_days":
            _seconds_list(value)
        elif key == "after_retries":
            if value not in AFTER_RETRIES:
                raise ValueError(f"after_retries must be one of {', '.join(AFTER_RETRIES)}")
        elif key == "lock_timeout_seconds":
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError("lock_timeout_seconds must be a number >= 0")
        elif key == "tax_origin":
            if not (isinstance(value, str) and len(value) == 2 and value.isupper()):
                raise ValueError("tax_origin must be a two-letter country code")
        elif key == "tax_behavior":
            if value not in (None, "inclusive", "exclusive"):
                raise ValueError("tax_behavior must be inclusive, exclusive or null")
        else:
            raise ValueError(f"unknown setting {key!r}")
