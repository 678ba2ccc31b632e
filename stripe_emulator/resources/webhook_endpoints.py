"""Webhook endpoints: where events are sent (stripe_emulator/webhooks.py delivers them)."""

from __future__ import annotations

import secrets
from typing import Any

from stripe_emulator.errors import invalid, missing_param
from stripe_emulator.params import MAP, SCALAR, ListOf, get_bool, get_metadata, get_str
from stripe_emulator.store import new_id
from stripe_emulator.versions import endpoint_version

from .base import PAGE, Context, listing, retrieve, route
from .skeletons import fill

EVENT_TYPES = frozenset(
    [
        "charge.failed",
        "charge.refunded",
        "charge.succeeded",
        "charge.updated",
        "coupon.created",
        "coupon.deleted",
        "coupon.updated",
        "customer.created",
        "customer.deleted",
        "customer.discount.created",
        "customer.discount.deleted",
        "customer.discount.updated",
        "customer.updated",
        "customer.subscription.created",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.pending_update_applied",
        "customer.subscription.pending_update_expired",
        "customer.subscription.resumed",
        "customer.subscription.trial_will_end",
        "customer.subscription.updated",
        "invoice.created",
        "invoice.deleted",
        "invoice.finalization_failed",
        "invoice.finalized",
        "invoice.marked_uncollectible",
        "invoice.overdue",
        "invoice.paid",
        "invoice.payment_action_required",
        "invoice.payment_failed",
        "invoice.payment_succeeded",
        "invoice.sent",
        "invoice.upcoming",
        "invoice.updated",
        "invoice.voided",
        "invoice.will_be_due",
        "invoice_payment.paid",
        "payment_intent.amount_capturable_updated",
        "payment_intent.canceled",
        "payment_intent.created",
        "payment_intent.partially_funded",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "payment_intent.requires_action",
        "payment_intent.succeeded",
        "payment_method.attached",
        "payment_method.automatically_updated",
        "payment_method.detached",
        "payment_method.updated",
        "price.created",
        "price.deleted",
        "price.updated",
        "product.created",
        "product.deleted",
        "product.updated",
        "promotion_code.created",
        "promotion_code.updated",
        "refund.created",
        "refund.failed",
        "refund.updated",
        "setup_intent.canceled",
        "setup_intent.created",
        "setup_intent.requires_action",
        "setup_intent.setup_failed",
        "setup_intent.succeeded",
        "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.created",
        "test_helpers.test_clock.deleted",
        "test_helpers.test_clock.internal_failure",
        "test_helpers.test_clock.ready",
    ]
)

WEBHOOK_SCHEMA = {
    "url": SCALAR,
    "enabled_events": ListOf(SCALAR),
    "description": SCALAR,
    "metadata": MAP,
}
WEBHOOK_CREATE_SCHEMA = WEBHOOK_SCHEMA | {"api_version": SCALAR}
WEBHOOK_UPDATE_SCHEMA = WEBHOOK_SCHEMA | {"disabled": SCALAR}


def _events(params: dict[str, Any]) -> list[str]:
    events = params.get("enabled_events")
    if not events:
        raise missing_param("enabled_events")
    for i, name in enumerate(events):
        if name != "*" and name not in EVENT_TYPES:
            raise invalid(
                f"Invalid enabled_events[{i}]: must be one of the event types Stripe supports "
                f"(got {name!r})",
                param=f"enabled_events[{i}]",
            )
    return list(events)


def _url(params: dict[str, Any]) -> str:
    url = get_str(params, "url", required=True)
    if not url.startswith(("http://", "https://")):
        raise invalid("Invalid URL: must be an http or https URL", param="url")
    return url


def webhook_endpoint_object(ctx: Context, params: dict[str, Any], secret: str | None = None):
    return fill(
        "webhook_endpoint",
        {
            "id": new_id("we"),
            "api_version": endpoint_version(params),  # None: the default (the one served)
            "created": ctx.now(),
            "description": get_str(params, "description") or None,
            "enabled_events": _events(params),
            "metadata": get_metadata(params),
            "url": _url(params),
            "_secret": secret or "whsec_" + secrets.token_hex(24),
        },
    )


@route("POST", "/v1/webhook_endpoints", WEBHOOK_CREATE_SCHEMA)
def webhook_endpoint_create(ctx: Context, params: dict[str, Any]):
    endpoint = ctx.insert(webhook_endpoint_object(ctx, params))
    body = ctx.render(endpoint)
    body["secret"] = endpoint["_secret"]  # shown once, at creation, as Stripe does
    return body


retrieve("webhook_endpoint", "/v1/webhook_endpoints/{id}")


@route("POST", "/v1/webhook_endpoints/{id}", WEBHOOK_UPDATE_SCHEMA)
def webhook_endpoint_update(ctx: Context, params: dict[str, Any], id: str):
    endpoint = ctx.get("webhook_endpoint", id)
    if "url" in params:
        endpoint["url"] = _url(params)
    if "enabled_events" in params:
        endpoint["enabled_events"] = _events(params)
    if "description" in params:
        endpoint["description"] = params["description"] or None
    if "disabled" in params:
        endpoint["status"] = "disabled" if get_bool(params, "disabled") else "enabled"
    endpoint["metadata"] = get_metadata(params, endpoint["metadata"])
    return ctx.render(endpoint)


@route("DELETE", "/v1/webhook_endpoints/{id}")
def webhook_endpoint_delete(ctx: Context, params: dict[str, Any], id: str):
    ctx.get("webhook_endpoint", id)
    del ctx.state.table("webhook_endpoint")[id]
    return {"id": id, "object": "webhook_endpoint", "deleted": True}


listing("webhook_endpoint", "/v1/webhook_endpoints", PAGE)
