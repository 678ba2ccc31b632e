"""The client every gateway module calls Stripe through, its time budget, and the errors.

Keyword-only functions; the API key, API base and timeouts are read from
settings at call time; the SDK's pinned API version is sent on every request;
a web request's Stripe calls share one time budget (stripe_budget, below);
every write carries the idempotency key of the attempt it belongs to
(billing.models.StripeAttempt: write_options refuses a write without one). The
SDK's errors become our GatewayError subclasses, which the API shapes as 402
(declined), 400 (invalid), 503 (Stripe unreachable or busy) or 409 (the same
write still in flight at Stripe), so services never see raw HTTP or the SDK's
exceptions. Results come back as plain dicts (call).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from rest_framework import status
from urllib3.util import Timeout

from config.errors import ApplicationError

logger = logging.getLogger(__name__)

API_VERSION: str = stripe.api_version


class GatewayError(ApplicationError):
    status_code: int = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "stripe_unavailable"
    retryable = False
    # True when what was sent may have executed at Stripe without our hearing
    # back (a timeout, a dropped connection, a 5xx): only a retry with the same
    # key, or asking Stripe, tells. False when Stripe answered.
    outcome_unknown = False

    def __init__(self, detail: str, *, stripe_code: str = "", param: str = "", **kw: Any):
        super().__init__(detail, **kw)
        self.stripe_code = stripe_code
        self.param = param


class CardDeclined(GatewayError):
    """The card was refused; Stripe's message is safe to show the reader."""

    status_code = status.HTTP_402_PAYMENT_REQUIRED
    code = "card_declined"

    def __init__(self, detail: str, *, decline_code: str = "", **kw: Any):
        super().__init__(detail, **kw)
        self.decline_code = decline_code


class StripeUnavailable(GatewayError):
    """Stripe could not be reached or failed (after the SDK's own retries): try again."""

    retryable = True
    outcome_unknown = True


class StripeBusy(StripeUnavailable):
    """Stripe refused to run the request now, and none of it executed: a 429 (a lock
    timeout on the object, or the rate limiter, both before the idempotency layer:
    https://docs.stripe.com/rate-limits#object-lock-timeouts,
    https://docs.stripe.com/error-low-level#content-errors). The SDK retries lock
    timeouts (Stripe-Should-Retry: true); this is what remains after its retries."""

    outcome_unknown = False


class StripeKeyInUse(StripeBusy):
    """409 idempotency_key_in_use: another request with the same key (a double click
    sharing the attempt) is still executing at Stripe; this one ran nothing and
    stored nothing, so the same request later gets that request's answer
    (https://docs.stripe.com/api/idempotent_requests). The SDK retries 409s."""

    status_code = status.HTTP_409_CONFLICT
    code = "operation_in_progress"


class StripeInvalidRequest(GatewayError):
    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "stripe_invalid_request"


class EmailRefused(StripeInvalidRequest):
    """Stripe refuses the reader's email address (its `email_invalid`): the reader must
    change it (accounts/emails.py says which addresses Stripe takes)."""

    code = "email_invalid"


class StripeNotFound(StripeInvalidRequest):
    status_code = status.HTTP_404_NOT_FOUND
    code = "stripe_object_missing"


# --- the time budget ------------------------------------------------------------
#
# A web request may spend STRIPE_REQUEST_BUDGET_SECONDS on Stripe in all, across
# every call it makes and the SDK's retries of each, and that budget stays below
# the web server's timeout (WEB_TIMEOUT_SECONDS; billing.checks), so a hung
# Stripe ends in our JSON 503 `stripe_unavailable`, never in the server killing
# the worker. billing.middleware opens the budget for every request. Celery
# tasks have none: each call is bounded by its own timeouts and retries, and the
# task by CELERY_TASK_SOFT_TIME_LIMIT (a task run eagerly inside a web request
# shares that request's budget).

_deadline: ContextVar[float | None] = ContextVar("stripe_deadline", default=None)

# A retry is made only when at least this much of the budget remains.
MIN_SECONDS_FOR_A_RETRY = 1.0


@contextmanager
def stripe_budget(*, seconds: float) -> Iterator[None]:
    """The Stripe calls made inside share `seconds` in all (an inner budget never extends one)."""
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def budget_remaining() -> float | None:
    """Seconds left of the current budget (None: no budget, outside a web request)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


# A pace (a rate limiter's wait) that every request attempt made inside
# stripe_paced() calls first: the reconciliation's reads per second.
_pace: ContextVar[Callable[[], None] | None] = ContextVar("stripe_pace", default=None)


@contextmanager
def stripe_paced(pace: Callable[[], None]) -> Iterator[None]:
    """Every Stripe request made inside (each attempt, the SDK's retries too) calls `pace`
    first, which may sleep: how a job holds its requests to a rate."""
    token = _pace.set(pace)
    try:
        yield
    finally:
        _pace.reset(token)


class _BudgetSpent(stripe.APIConnectionError):
    def __init__(self) -> None:
        stripe.APIConnectionError.__init__(
            self, "The request's time budget for Stripe is spent.", should_retry=False
        )


class _BudgetedRequestsClient(stripe.RequestsClient):
    """The SDK's requests-based client, held to the budget of the request it serves.

    One instance serves every thread: the budget is read from the calling
    context at each attempt. An attempt's timeouts are the smaller of the
    configured ones and what remains; no attempt starts once the budget is
    spent, and a retry (with its back-off) only while enough of it remains.
    """

    @property
    def _timeout(self) -> Any:  # RequestsClient reads this for every attempt
        connect, read = self._configured_timeout
        remaining = budget_remaining()
        if remaining is None:
            return (connect, read)
        remaining = max(remaining, 0.001)
        return Timeout(connect=min(connect, remaining), read=min(read, remaining), total=remaining)

    @_timeout.setter
    def _timeout(self, value: float | tuple[float, float]) -> None:
        # A single number is both the connect and the read timeout (as in requests).
        self._configured_timeout = value if isinstance(value, tuple) else (value, value)

    # Matches RequestsClient.request, which itself narrows HTTPClient.request (the SDK's types).
    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        remaining = budget_remaining()
        if remaining is not None and remaining <= 0:
            raise _BudgetSpent
        pace = _pace.get()
        if pace is not None:
            pace()
        return super().request(method, url, headers, post_data)

    def _should_retry(
        self, response: Any, api_connection_error: Any, num_retries: int, max_network_retries: Any
    ) -> bool:
        remaining = budget_remaining()
        if remaining is not None and remaining < MIN_SECONDS_FOR_A_RETRY:
            return False
        return bool(
            super()._should_retry(response, api_connection_error, num_retries, max_network_retries)
        )

    def _sleep_time_seconds(self, num_retries: int) -> float:
        sleep = float(super()._sleep_time_seconds(num_retries))
        remaining = budget_remaining()
        # Half of what remains at most: the retry itself gets the other half.
        return sleep if remaining is None else min(sleep, remaining / 2)


@functools.lru_cache(maxsize=8)
def _client_for(
    api_key: str, api_base: str, timeout: float, connect_timeout: float, retries: int
) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        stripe_version=API_VERSION,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=retries,
        http_client=_BudgetedRequestsClient(timeout=(connect_timeout, timeout)),
    )


def stripe_client() -> stripe.StripeClient:
    return _client_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        float(settings.STRIPE_TIMEOUT_SECONDS),
        float(settings.STRIPE_CONNECT_TIMEOUT_SECONDS),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


def _translate(exc: stripe.StripeError, operation: str) -> GatewayError:
    error = getattr(exc, "error", None)
    # The SDK sets .code only on some errors (not on 409s or 429s): the body has it.
    code = str(getattr(exc, "code", "") or getattr(error, "code", "") or "")
    message = str(getattr(exc, "user_message", "") or getattr(error, "message", "") or exc)
    context = {
        "operation": operation,
        "stripe_code": code,
        "http_status": getattr(exc, "http_status", None),
        "request_id": getattr(exc, "request_id", None),
    }
    if isinstance(exc, stripe.CardError):
        logger.info("stripe declined", extra=context)
        return CardDeclined(
            message,
            decline_code=str(getattr(error, "decline_code", "") or ""),
            stripe_code=code,
            param=str(getattr(exc, "param", "") or ""),
        )
    if context["http_status"] == 409 and code == "idempotency_key_in_use":
        logger.info("stripe: the same write is still in flight", extra=context)
        return StripeKeyInUse(
            "The same operation is already under way; try again in a moment.", stripe_code=code
        )
    if isinstance(exc, stripe.RateLimitError):
        logger.warning("stripe busy (%s): nothing was executed", code, extra=context)
        return StripeBusy(
            "The payment provider is busy right now; try again.", stripe_code=code or "rate_limit"
        )
    if isinstance(exc, stripe.IdempotencyError):
        logger.error("stripe idempotency conflict", extra=context)
        return StripeInvalidRequest(message, stripe_code="idempotency_error", code="conflict")
    if isinstance(exc, stripe.InvalidRequestError):
        logger.warning("stripe refused a request: %s", message, extra=context)
        cls = {"resource_missing": StripeNotFound, "email_invalid": EmailRefused}.get(
            code, StripeInvalidRequest
        )
        return cls(message, stripe_code=code, param=str(getattr(exc, "param", "") or ""))
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        logger.error("stripe rejected our credentials", extra=context)
        return StripeUnavailable("The payment provider is not available right now.")
    logger.warning("stripe unavailable: %s", exc, extra=context)
    return StripeUnavailable("The payment provider is not available right now; try again.")


def from_unix(value: Any) -> datetime | None:
    """A Stripe timestamp (unix seconds) as an aware UTC datetime; None for none."""
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _plain(value: Any) -> Any:
    """Stripe objects as plain dicts and lists: services see data, not SDK types."""
    if isinstance(value, stripe.StripeObject):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def call(operation: str, fn: Callable[[], Any]) -> Any:
    remaining = budget_remaining()
    if remaining is not None and remaining <= 0:
        logger.warning("stripe not called: the request's time budget is spent (%s)", operation)
        raise StripeUnavailable("The payment provider is not available right now; try again.")
    try:
        return _plain(fn())
    except stripe.StripeError as exc:
        raise _translate(exc, operation) from exc


def write_options(idempotency_key: str) -> stripe.RequestOptions:
    if not idempotency_key:
        raise ValueError("every Stripe write needs its attempt's idempotency key")
    return {"idempotency_key": idempotency_key}
