"""The one module that talks to Stripe (docs/architecture.md, "House style").

Results come back as plain dicts (the objects' JSON), never SDK types.

Keyword-only functions; the API key, API base and timeouts are read from
settings at call time; the SDK's pinned API version is sent on every request;
a web request's Stripe calls share one time budget (stripe_budget, below);
every write carries the idempotency key of the attempt it belongs to
(billing.models.StripeAttempt). The SDK's errors become our GatewayError
subclasses, which the API shapes as 402 (declined), 400 (invalid) or 503
(Stripe unreachable), so services never see raw HTTP or the SDK's exceptions.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, cast

import stripe  # noqa: TID251 - this module is the one allowed importer
from django.conf import settings
from rest_framework import status
from stripe.params import (  # noqa: TID251 - typed params, same module
    CustomerCreateParams,
    InvoiceListParams,
    SubscriptionCreateParams,
    SubscriptionUpdateParams,
)
from urllib3.util import Timeout

from config.errors import ApplicationError

logger = logging.getLogger(__name__)

API_VERSION: str = stripe.api_version


class GatewayError(ApplicationError):
    status_code: int = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "stripe_unavailable"
    retryable = False

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


class StripeInvalidRequest(GatewayError):
    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "stripe_invalid_request"


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


def _client() -> stripe.StripeClient:
    return _client_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        float(settings.STRIPE_TIMEOUT_SECONDS),
        float(settings.STRIPE_CONNECT_TIMEOUT_SECONDS),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


def _translate(exc: stripe.StripeError, operation: str) -> GatewayError:
    error = getattr(exc, "error", None)
    code = str(getattr(exc, "code", "") or "")
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
    if isinstance(exc, stripe.IdempotencyError):
        logger.error("stripe idempotency conflict", extra=context)
        return StripeInvalidRequest(message, stripe_code="idempotency_error", code="conflict")
    if isinstance(exc, stripe.InvalidRequestError):
        logger.warning("stripe refused a request: %s", message, extra=context)
        cls = StripeNotFound if code == "resource_missing" else StripeInvalidRequest
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


def _call(operation: str, fn: Callable[[], Any]) -> Any:
    remaining = budget_remaining()
    if remaining is not None and remaining <= 0:
        logger.warning("stripe not called: the request's time budget is spent (%s)", operation)
        raise StripeUnavailable("The payment provider is not available right now; try again.")
    try:
        return _plain(fn())
    except stripe.StripeError as exc:
        raise _translate(exc, operation) from exc


def _write_options(idempotency_key: str) -> stripe.RequestOptions:
    if not idempotency_key:
        raise ValueError("every Stripe write needs its attempt's idempotency key")
    return {"idempotency_key": idempotency_key}


# --- products and prices ------------------------------------------------------


def product_create(*, name: str, metadata: dict[str, str], idempotency_key: str) -> Any:
    return _call(
        "product.create",
        lambda: _client().v1.products.create(
            params={"name": name, "metadata": metadata},
            options=_write_options(idempotency_key),
        ),
    )


def product_update(*, product_id: str, name: str, active: bool, idempotency_key: str) -> Any:
    return _call(
        "product.update",
        lambda: _client().v1.products.update(
            product_id,
            params={"name": name, "active": active},
            options=_write_options(idempotency_key),
        ),
    )


def price_create(
    *,
    product_id: str,
    amount: int,
    currency: str,
    interval: str,
    lookup_key: str,
    idempotency_key: str,
) -> Any:
    return _call(
        "price.create",
        lambda: _client().v1.prices.create(
            params={
                "product": product_id,
                "unit_amount": amount,
                "currency": currency,
                "recurring": {"interval": interval},
                "lookup_key": lookup_key,
                "transfer_lookup_key": True,
            },
            options=_write_options(idempotency_key),
        ),
    )


def price_set_active(*, price_id: str, active: bool, idempotency_key: str) -> Any:
    return _call(
        "price.update",
        lambda: _client().v1.prices.update(
            price_id, params={"active": active}, options=_write_options(idempotency_key)
        ),
    )


# --- customers and payment methods --------------------------------------------


def customer_create(
    *, email: str, metadata: dict[str, str], idempotency_key: str, test_clock: str = ""
) -> Any:
    params: CustomerCreateParams = {"email": email, "metadata": metadata}
    if test_clock:
        params["test_clock"] = test_clock
    return _call(
        "customer.create",
        lambda: _client().v1.customers.create(
            params=params,
            options=_write_options(idempotency_key),
        ),
    )


def customer_delete(*, customer_id: str) -> Any:
    return _call("customer.delete", lambda: _client().v1.customers.delete(customer_id))


def payment_method_attach(*, payment_method_id: str, customer_id: str, idempotency_key: str) -> Any:
    return _call(
        "payment_method.attach",
        lambda: _client().v1.payment_methods.attach(
            payment_method_id,
            params={"customer": customer_id},
            options=_write_options(idempotency_key),
        ),
    )


def payment_method_detach(*, payment_method_id: str, idempotency_key: str) -> Any:
    """Take a card off its customer (Stripe clears it as the customer's default too)."""
    return _call(
        "payment_method.detach",
        lambda: _client().v1.payment_methods.detach(
            payment_method_id, options=_write_options(idempotency_key)
        ),
    )


def customer_set_default_payment_method(
    *, customer_id: str, payment_method_id: str, idempotency_key: str
) -> Any:
    return _call(
        "customer.update",
        lambda: _client().v1.customers.update(
            customer_id,
            params={"invoice_settings": {"default_payment_method": payment_method_id}},
            options=_write_options(idempotency_key),
        ),
    )


def setup_intent_create(*, customer_id: str, idempotency_key: str) -> Any:
    return _call(
        "setup_intent.create",
        lambda: _client().v1.setup_intents.create(
            params={"customer": customer_id, "usage": "off_session"},
            options=_write_options(idempotency_key),
        ),
    )


# --- subscriptions ------------------------------------------------------------

SUBSCRIPTION_EXPAND = ["latest_invoice"]


def subscription_create(
    *,
    customer_id: str,
    price_id: str,
    trial_days: int | None,
    payment_method_id: str,
    metadata: dict[str, str],
    idempotency_key: str,
    trial_end_without_card: str = "cancel",
) -> Any:
    params: SubscriptionCreateParams = {
        "customer": customer_id,
        "items": [{"price": price_id}],
        "metadata": metadata,
        "expand": SUBSCRIPTION_EXPAND,
    }
    if trial_days:
        params["trial_period_days"] = trial_days
        # A trial that ends without a card is cancelled (or paused, and resumed
        # when a card arrives): nothing is ever charged without one.
        params["trial_settings"] = {
            "end_behavior": {"missing_payment_method": trial_end_without_card}
        }
    else:
        # Charge now; when the card needs authentication the subscription is
        # created incomplete and the reader finishes with Stripe.js.
        params["payment_behavior"] = "allow_incomplete"
    if payment_method_id:
        params["default_payment_method"] = payment_method_id
    return _call(
        "subscription.create",
        lambda: _client().v1.subscriptions.create(
            params=params,
            options=_write_options(idempotency_key),
        ),
    )


def subscription_retrieve(*, subscription_id: str) -> Any:
    return _call(
        "subscription.retrieve",
        lambda: _client().v1.subscriptions.retrieve(
            subscription_id, params={"expand": SUBSCRIPTION_EXPAND}
        ),
    )


def subscription_update(
    *, subscription_id: str, params: dict[str, Any], idempotency_key: str
) -> Any:
    return _call(
        "subscription.update",
        lambda: _client().v1.subscriptions.update(
            subscription_id,
            # The services build these params as a plain dict (billing.services).
            params=cast(SubscriptionUpdateParams, {**params, "expand": SUBSCRIPTION_EXPAND}),
            options=_write_options(idempotency_key),
        ),
    )


def subscription_cancel(*, subscription_id: str, idempotency_key: str) -> Any:
    return _call(
        "subscription.cancel",
        lambda: _client().v1.subscriptions.cancel(
            subscription_id,
            params={"invoice_now": False, "prorate": False, "expand": SUBSCRIPTION_EXPAND},
            options=_write_options(idempotency_key),
        ),
    )


def subscription_resume(*, subscription_id: str, idempotency_key: str) -> Any:
    return _call(
        "subscription.resume",
        lambda: _client().v1.subscriptions.resume(
            subscription_id,
            params={
                "billing_cycle_anchor": {"type": "now"},
                # Charge inside the resume: active if paid, refused (402) if not.
                "payment_behavior": "resume_on_payment_success",
                "expand": SUBSCRIPTION_EXPAND,
            },
            options=_write_options(idempotency_key),
        ),
    )


def subscription_list_for_customer(*, customer_id: str) -> list[Any]:
    def fetch() -> list[Any]:
        page = _client().v1.subscriptions.list(
            params={"customer": customer_id, "status": "all", "limit": 100}
        )
        return list(page.auto_paging_iter())

    subscriptions: list[Any] = _call("subscription.list", fetch)
    return subscriptions


# --- invoices -------------------------------------------------------------------


def invoice_list(*, customer_id: str, limit: int, starting_after: str = "") -> Any:
    params: InvoiceListParams = {"customer": customer_id, "limit": limit}
    if starting_after:
        params["starting_after"] = starting_after
    return _call("invoice.list", lambda: _client().v1.invoices.list(params=params))


def invoice_retrieve(*, invoice_id: str, expand: list[str] | None = None) -> Any:
    return _call(
        "invoice.retrieve",
        lambda: _client().v1.invoices.retrieve(invoice_id, params={"expand": expand or []}),
    )


# --- webhooks ---------------------------------------------------------------------


class WebhookRejected(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_webhook"


WEBHOOK_TOLERANCE_SECONDS = 300


def webhook_event_verified(*, payload: bytes, signature: str, secrets: list[str]) -> dict[str, Any]:
    """The event in a webhook body, once its Stripe-Signature matches one of our secrets.

    Several secrets are tried in turn (a secret roll). A missing, wrong or
    stale signature (older than 300 s), or a body that is not an event, is
    refused. Verification is the SDK's own.
    """
    if not signature:
        raise WebhookRejected("Missing Stripe-Signature header.", code="missing_signature")
    if not secrets:
        raise WebhookRejected("No webhook secret is configured.", code="invalid_signature")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8", "replace"), signature, secret, WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            continue
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError) as exc:  # not JSON, or nested past the stack
            raise WebhookRejected(
                "The body is not a Stripe event.", code="malformed_event"
            ) from exc
        if (
            not isinstance(data, dict)
            or not data.get("id")
            or not data.get("type")
            or not isinstance(data.get("data"), dict)
        ):
            raise WebhookRejected("The body is not a Stripe event.", code="malformed_event")
        return data
    raise WebhookRejected("The signature does not match.", code="invalid_signature")


def refund_create(
    *, payment_intent_id: str, reason: str, metadata: dict[str, str], idempotency_key: str
) -> Any:
    return _call(
        "refund.create",
        lambda: _client().v1.refunds.create(
            params={
                "payment_intent": payment_intent_id,
                "reason": reason,
                "metadata": metadata,
            },
            options=_write_options(idempotency_key),
        ),
    )


def invoice_list_paid_for_subscription(*, subscription_id: str) -> list[Any]:
    """Every paid invoice of one subscription, each with its payment intent and charge."""

    def fetch() -> list[Any]:
        page = _client().v1.invoices.list(
            params={
                "subscription": subscription_id,
                "status": "paid",
                "limit": 100,
                "expand": ["data.payments.data.payment.payment_intent.latest_charge"],
            }
        )
        return list(page.auto_paging_iter())

    invoices: list[Any] = _call("invoice.list", fetch)
    return invoices


def invoice_list_paid(*, customer_id: str, limit: int = 10) -> list[Any]:
    invoices: list[Any] = _call(
        "invoice.list",
        lambda: (
            _client()
            .v1.invoices.list(
                params={
                    "customer": customer_id,
                    "status": "paid",
                    "limit": limit,
                    "expand": ["data.payments.data.payment.payment_intent"],
                }
            )
            .data
        ),
    )
    return invoices
