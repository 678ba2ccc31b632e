"""Subscriptions: create, read, change, cancel, resume, list."""

from __future__ import annotations

from typing import Any, cast

from stripe.params import SubscriptionCreateParams, SubscriptionUpdateParams

from billing.gateway.client import call, stripe_client, write_options

# The discounts with their coupon and promotion code, so that the subscription's
# discount is mirrored from every read (webhooks re-read it: billing.services.events).
SUBSCRIPTION_EXPAND = [
    "latest_invoice",
    "discounts.source.coupon",
    "discounts.promotion_code",
]


def subscription_create(
    *,
    customer_id: str,
    price_id: str,
    trial_days: int | None,
    payment_method_id: str,
    metadata: dict[str, str],
    idempotency_key: str,
    trial_end_without_card: str = "cancel",
    discounts: list[dict[str, str]] | None = None,
    automatic_tax: bool = False,
) -> Any:
    """`automatic_tax`: Stripe Tax computes each invoice's tax from the customer's
    address (which must be set: billing.services.tax)."""
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
    if automatic_tax:
        params["automatic_tax"] = {"enabled": True}
    if discounts:
        # [{"promotion_code": "promo_..."}] or [{"coupon": "..."}]
        params["discounts"] = cast(Any, discounts)
    return call(
        "subscription.create",
        lambda: stripe_client().v1.subscriptions.create(
            params=params,
            options=write_options(idempotency_key),
        ),
    )


def subscription_retrieve(*, subscription_id: str) -> Any:
    return call(
        "subscription.retrieve",
        lambda: stripe_client().v1.subscriptions.retrieve(
            subscription_id, params={"expand": SUBSCRIPTION_EXPAND}
        ),
    )


def subscription_update(
    *, subscription_id: str, params: dict[str, Any], idempotency_key: str
) -> Any:
    return call(
        "subscription.update",
        lambda: stripe_client().v1.subscriptions.update(
            subscription_id,
            # The services build these params as a plain dict (billing.services).
            params=cast(SubscriptionUpdateParams, {**params, "expand": SUBSCRIPTION_EXPAND}),
            options=write_options(idempotency_key),
        ),
    )


def subscription_cancel(
    *,
    subscription_id: str,
    idempotency_key: str,
    cancellation_details: dict[str, str] | None = None,
) -> Any:
    """`cancellation_details`: the reader's {feedback, comment}, as Stripe keeps them."""
    params: dict[str, Any] = {"invoice_now": False, "prorate": False, "expand": SUBSCRIPTION_EXPAND}
    if cancellation_details:
        params["cancellation_details"] = cancellation_details
    return call(
        "subscription.cancel",
        lambda: stripe_client().v1.subscriptions.cancel(
            subscription_id,
            params=cast(Any, params),
            options=write_options(idempotency_key),
        ),
    )


def subscription_resume(*, subscription_id: str, idempotency_key: str) -> Any:
    return call(
        "subscription.resume",
        lambda: stripe_client().v1.subscriptions.resume(
            subscription_id,
            params={
                "billing_cycle_anchor": {"type": "now"},
                # Charge inside the resume: active if paid, refused (402) if not.
                "payment_behavior": "resume_on_payment_success",
                "expand": SUBSCRIPTION_EXPAND,
            },
            options=write_options(idempotency_key),
        ),
    )


def subscription_list_for_customer(*, customer_id: str) -> list[Any]:
    def fetch() -> list[Any]:
        page = stripe_client().v1.subscriptions.list(
            params={"customer": customer_id, "status": "all", "limit": 100}
        )
        return list(page.auto_paging_iter())

    subscriptions: list[Any] = call("subscription.list", fetch)
    return subscriptions
