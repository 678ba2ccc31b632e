"""Refunds, events, webhook endpoints and test clocks."""

from __future__ import annotations

import secrets
from typing import Any

from stripe_emulator.errors import invalid, missing_param
from stripe_emulator.params import MAP, SCALAR, ListOf, get_enum, get_int, get_metadata, get_str
from stripe_emulator.store import API_VERSION, new_id, paginate

from .base import Context, route

# -- refunds -------------------------------------------------------------------

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


@route(
    "POST",
    "/v1/refunds",
    {
        "charge": SCALAR,
        "payment_intent": SCALAR,
        "amount": SCALAR,
        "reason": SCALAR,
        "metadata": MAP,
        "instructions_email": SCALAR,
    },
)
def refund_create(ctx: Context, params: dict[str, Any]):
    charge_id = get_str(params, "charge")
    pi_id = get_str(params, "payment_intent")
    if charge_id and pi_id:
        raise invalid(
            "You may only specify one of these parameters: charge, payment_intent.",
            param="charge",
            code="parameters_exclusive",
        )
    if pi_id:
        pi = ctx.get("payment_intent", pi_id, param="payment_intent", status=400)
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise invalid(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge_id = pi["latest_charge"]
    if not charge_id:
        raise missing_param("charge")
    charge = ctx.get("charge", charge_id, param="charge", status=400)
    if charge["status"] != "succeeded":
        raise invalid(
            f"Charge {charge_id} has not succeeded, so it cannot be refunded.",
            param="charge",
            code="charge_not_refundable",
        )
    remaining = charge["amount"] - charge["amount_refunded"]
    amount = get_int(params, "amount", minimum=1)
    amount = remaining if amount is None else amount
    if remaining == 0:
        raise invalid(
            f"Charge {charge_id} has already been refunded.", code="charge_already_refunded"
        )
    if amount > remaining:
        raise invalid(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
            code="amount_too_large",
        )
    refund = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": charge_id,
        "created": ctx.now(charge["customer"]),
        "currency": charge["currency"],
        "customer": charge["customer"],
        "customer_account": None,
        "description": None,
        "destination_details": None,
        "failure_balance_transaction": None,
        "failure_reason": None,
        "instructions_email": None,
        "metadata": get_metadata(params),
        "next_action": None,
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "pending_reason": None,
        "presentment_details": None,
        "reason": get_enum(params, "reason", REFUND_REASONS),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    ctx.insert(refund)
    before = ctx.render(charge)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", charge, before)
    return ctx.render(refund)


@route("GET", "/v1/refunds/{id}")
def refund_retrieve(ctx: Context, params: dict[str, Any], id: str):
    return ctx.render(ctx.get("refund", id))


@route(
    "GET",
    "/v1/refunds",
    {
        "limit": SCALAR,
        "starting_after": SCALAR,
        "ending_before": SCALAR,
        "charge": SCALAR,
        "payment_intent": SCALAR,
        "created": "any",
    },
)
def refund_list(ctx: Context, params: dict[str, Any]):
    objs = ctx.state.all("refund")
    for key in ("charge", "payment_intent"):
        if params.get(key):
            objs = [r for r in objs if r[key] == params[key]]
    return paginate(ctx.state, objs, params, "/v1/refunds", "refund")


# -- events --------------------------------------------------------------------


@route("GET", "/v1/events/{id}")
def event_retrieve(ctx: Context, params: dict[str, Any], id: str):
    return ctx.render(ctx.get("event", id))


@route(
    "GET",
    "/v1/events",
    {
        "limit": SCALAR,
        "starting_after": SCALAR,
        "ending_before": SCALAR,
        "type": SCALAR,
        "types": ListOf(SCALAR),
        "created": "any",
        "delivery_success": SCALAR,
    },
)
def event_list(ctx: Context, params: dict[str, Any]):
    objs = ctx.state.all("event")
    kind = get_str(params, "type")
    if kind:
        if kind.endswith("*"):
            objs = [e for e in objs if e["type"].startswith(kind[:-1])]
        else:
            objs = [e for e in objs if e["type"] == kind]
    if params.get("types"):
        objs = [e for e in objs if e["type"] in params["types"]]
    return paginate(ctx.state, objs, params, "/v1/events", "event")


# -- webhook endpoints ----------------------------------------------------------

EVENT_TYPES = frozenset(
    [
        "charge.failed",
        "charge.refunded",
        "charge.succeeded",
        "charge.updated",
        "customer.created",
        "customer.deleted",
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
    return {
        "id": new_id("we"),
        "object": "webhook_endpoint",
        "api_version": get_str(params, "api_version") or API_VERSION,
        "application": None,
        "created": ctx.now(),
        "description": get_str(params, "description") or None,
        "enabled_events": _events(params),
        "livemode": False,
        "metadata": get_metadata(params),
        "secret": None,
        "status": "enabled",
        "url": _url(params),
        "_secret": secret or "whsec_" + secrets.token_hex(24),
    }


@route("POST", "/v1/webhook_endpoints", WEBHOOK_CREATE_SCHEMA)
def webhook_endpoint_create(ctx: Context, params: dict[str, Any]):
    endpoint = ctx.insert(webhook_endpoint_object(ctx, params))
    body = ctx.render(endpoint)
    body["secret"] = endpoint["_secret"]  # shown once, at creation, as Stripe does
    return body


@route("GET", "/v1/webhook_endpoints/{id}")
def webhook_endpoint_retrieve(ctx: Context, params: dict[str, Any], id: str):
    return ctx.render(ctx.get("webhook_endpoint", id))


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
        endpoint["status"] = "disabled" if params["disabled"] == "true" else "enabled"
    endpoint["metadata"] = get_metadata(params, endpoint["metadata"])
    return ctx.render(endpoint)


@route("DELETE", "/v1/webhook_endpoints/{id}")
def webhook_endpoint_delete(ctx: Context, params: dict[str, Any], id: str):
    ctx.get("webhook_endpoint", id)
    del ctx.state.table("webhook_endpoint")[id]
    return {"id": id, "object": "webhook_endpoint", "deleted": True}


@route(
    "GET",
    "/v1/webhook_endpoints",
    {"limit": SCALAR, "starting_after": SCALAR, "ending_before": SCALAR},
)
def webhook_endpoint_list(ctx: Context, params: dict[str, Any]):
    objs = ctx.state.all("webhook_endpoint")
    return paginate(ctx.state, objs, params, "/v1/webhook_endpoints", "webhook_endpoint")


# -- test clocks ---------------------------------------------------------------

CLOCK = "test_helpers.test_clock"


@route("POST", "/v1/test_helpers/test_clocks", {"frozen_time": SCALAR, "name": SCALAR})
def test_clock_create(ctx: Context, params: dict[str, Any]):
    frozen = get_int(params, "frozen_time", required=True, minimum=0)
    now = ctx.now()
    clock = {
        "id": new_id("clock"),
        "object": CLOCK,
        "created": now,
        "deletes_after": now + 30 * 86400,
        "frozen_time": frozen,
        "livemode": False,
        "name": get_str(params, "name") or None,
        "status": "ready",
        "status_details": {"advancing": None},
    }
    ctx.insert(clock)
    ctx.emit("test_helpers.test_clock.created", clock, created=now)
    return ctx.render(clock)


@route("GET", "/v1/test_helpers/test_clocks/{id}")
def test_clock_retrieve(ctx: Context, params: dict[str, Any], id: str):
    return ctx.render(ctx.get(CLOCK, id))


@route(
    "GET",
    "/v1/test_helpers/test_clocks",
    {"limit": SCALAR, "starting_after": SCALAR, "ending_before": SCALAR},
)
def test_clock_list(ctx: Context, params: dict[str, Any]):
    objs = [c for c in ctx.state.all(CLOCK) if not c.get("_deleted")]
    return paginate(ctx.state, objs, params, "/v1/test_helpers/test_clocks", "test_clock")


@route("POST", "/v1/test_helpers/test_clocks/{id}/advance", {"frozen_time": SCALAR})
def test_clock_advance(ctx: Context, params: dict[str, Any], id: str):
    """Starts the advance: the clock answers `advancing`; it is `ready` when every
    transition due up to frozen_time has run (in the background, scheduler.py)."""
    clock = ctx.get(CLOCK, id)
    target = get_int(params, "frozen_time", required=True, minimum=0)
    start = ctx.state.hooks.get("advance_test_clock")
    if start is None:
        raise invalid("Test clocks cannot be advanced on this emulator.")
    start(ctx, clock, target)
    return ctx.render(clock)


@route("DELETE", "/v1/test_helpers/test_clocks/{id}")
def test_clock_delete(ctx: Context, params: dict[str, Any], id: str):
    """Deleting a clock deletes its customers (which cancels their subscriptions)."""
    from .customers import delete_customer

    clock = ctx.get(CLOCK, id)
    for customer in ctx.state.all("customer"):
        if customer.get("test_clock") == id and not customer.get("_deleted"):
            delete_customer(ctx, customer)
    ctx.emit("test_helpers.test_clock.deleted", clock, created=ctx.now())
    clock["_deleted"] = True
    return {"id": id, "object": CLOCK, "deleted": True}
