"""Subscriptions: the requests (create, retrieve, update, cancel, resume, list). Their life in
time (first invoice, trials, renewal, dunning, pause, cancellation) is in ../lifecycle/."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import card_error, invalid
from stripe_emulator.lifecycle import billing_anchor, pause_collection
from stripe_emulator.lifecycle.cancellation import cancel_at_period_end, cancel_now
from stripe_emulator.lifecycle.pause import resume
from stripe_emulator.lifecycle.renewal import restart_period
from stripe_emulator.lifecycle.start import first_invoice
from stripe_emulator.lifecycle.trial import (
    apply_trial_settings,
    end_trial,
    parse_create_trial,
    parse_trial_end,
    set_trial_end,
)
from stripe_emulator.params import get_bool, get_enum, get_metadata, get_str
from stripe_emulator.store import State, list_object, new_id, strip
from stripe_emulator.tax import automatic_tax

from .base import Context, listing, retrieve, route
from .charges import charge_outcome
from .currencies import subscription_currency
from .discounts import redeem_discounts, update_discounts
from .invoices import invoice_now
from .payment_intents import REQUIRES_ACTION_MESSAGE
from .payment_methods import resolve_attached, subscription_payment_method
from .periods import add_interval
from .prices import price_interval, price_of
from .setup_intents import setup_intent_object
from .skeletons import fill
from .subscription_items import (
    apply_item_changes,
    item_object,
    parse_item_changes,
    parse_new_items,
    render_items,
)
from .subscription_params import (
    CANCEL_SCHEMA,
    CREATE_SCHEMA,
    LIST_SCHEMA,
    LIVE,
    PAYMENT_BEHAVIORS,
    PRORATION,
    RESUME_BEHAVIORS,
    RESUME_SCHEMA,
    UPDATE_SCHEMA,
)

# -- rendering -----------------------------------------------------------------


def render_subscription(state: State, sub: dict[str, Any]) -> dict[str, Any]:
    body = strip(sub)
    render_items(state, sub, body)
    return body


def _precheck(pm: dict[str, Any] | None, behavior: str) -> None:
    """error_if_incomplete: refuse before changing anything when the charge cannot succeed."""
    if behavior != "error_if_incomplete" or pm is None:
        return
    outcome, err = charge_outcome(pm)
    if outcome == "declined":
        raise err
    if outcome == "requires_action":
        raise card_error(
            REQUIRES_ACTION_MESSAGE,
            code="invoice_payment_intent_requires_action",
        )


NO_PM_MESSAGE = (
    "This customer has no attached payment source or default payment method. Please consider "
    "adding a default payment method. For more information, visit "
    "https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority."
)


# -- create --------------------------------------------------------------------


@route("POST", "/v1/subscriptions", CREATE_SCHEMA)
def subscription_create(ctx: Context, params: dict[str, Any]):
    customer_id = get_str(params, "customer", required=True)
    customer = ctx.get("customer", customer_id, param="customer", status=400)
    resolved = parse_new_items(ctx, params.get("items"))
    first = resolved[0][0]
    currency, amount = subscription_currency(ctx, params, resolved, customer)
    method = get_enum(params, "collection_method", ("charge_automatically", "send_invoice"))
    if method == "send_invoice":
        raise invalid(
            "The emulator supports collection_method=charge_automatically only.",
            param="collection_method",
        )
    now = ctx.now(customer)
    behavior = get_enum(params, "payment_behavior", PAYMENT_BEHAVIORS) or "allow_incomplete"
    if behavior == "pending_if_incomplete":
        raise invalid(
            "payment_behavior=pending_if_incomplete is only supported when updating a "
            "subscription.",
            param="payment_behavior",
        )
    trial_end = parse_create_trial(params, now)
    anchor = billing_anchor.parse(params, now, first, trial_end)
    sub_id = new_id("sub")
    dpm_id = get_str(params, "default_payment_method")
    dpm = (
        resolve_attached(ctx, dpm_id, customer, param="default_payment_method", peek=True)
        if dpm_id
        else None
    )
    pm = dpm
    if pm is None and customer["invoice_settings"]["default_payment_method"]:
        pm = ctx.state.find(
            "payment_method", customer["invoice_settings"]["default_payment_method"]
        )
    if not trial_end and amount > 0:
        if pm is None and behavior in ("allow_incomplete", "error_if_incomplete"):
            raise invalid(NO_PM_MESSAGE, code="resource_missing")
        _precheck(pm, behavior)
    tax = automatic_tax(ctx, params, customer)
    discounts = redeem_discounts(ctx, params, customer, resolved, sub_id, now)

    # Validation is over: from here the request changes state.
    if dpm is not None:
        dpm = resolve_attached(ctx, dpm_id, customer, param="default_payment_method")
        pm = dpm
    start = now
    end = trial_end or add_interval(now, *price_interval(first), anchor=now)
    sub = fill(
        "subscription",
        {
            "id": sub_id,
            "automatic_tax": tax,
            "billing_cycle_anchor": trial_end or now,
            "created": now,
            "currency": currency,
            "customer": customer["id"],
            "default_payment_method": dpm["id"] if dpm else None,
            "description": get_str(params, "description") or None,
            "discounts": discounts,
            "items": list_object(
                [item_object(sub_id, p, q, m, now, start, end) for p, q, m in resolved],
                f"/v1/subscription_items?subscription={sub_id}",
            ),
            "metadata": get_metadata(params),
            "payment_settings": {
                "payment_method_options": None,
                "payment_method_types": None,
                "save_default_payment_method": (params.get("payment_settings") or {}).get(
                    "save_default_payment_method"
                )
                or "off",
            },
            "start_date": now,
            "status": "trialing" if trial_end else "incomplete",
            "test_clock": customer.get("test_clock"),
            "trial_end": trial_end,
            "trial_start": now if trial_end else None,
            "_pending_items": [],
        },
    )
    apply_trial_settings(sub, params)
    if get_bool(params, "cancel_at_period_end"):
        sub.update(cancel_at_period_end=True, cancel_at=end, canceled_at=now)
    ctx.insert(sub)
    invoice_id = new_id("in")
    sub["latest_invoice"] = invoice_id
    if trial_end and pm is None:
        seti = ctx.insert(setup_intent_object(ctx, customer, usage="off_session"))
        sub["pending_setup_intent"] = seti["id"]
        ctx.emit("setup_intent.created", seti)
    # Stripe reports the subscription as the create call leaves it (one
    # customer.subscription.created, no update): the snapshot is taken at the end.
    created = ctx.emit("customer.subscription.created", sub)
    first_invoice(ctx, sub, customer=customer, pm=pm, behavior=behavior, now=now, anchor=anchor)
    created["data"]["object"] = ctx.render(sub)
    return ctx.render(sub)


# -- retrieve / list -------------------------------------------------------------


retrieve("subscription", "/v1/subscriptions/{id}")


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    status = get_enum(
        params,
        "status",
        (*LIVE, "canceled", "incomplete_expired", "ended", "all"),
    )
    customer = get_str(params, "customer")
    clock = get_str(params, "test_clock")
    if customer:
        objs = [s for s in objs if s["customer"] == customer]
    if clock:
        objs = [s for s in objs if s["test_clock"] == clock]
    if not (customer or clock):
        objs = [s for s in objs if not s["test_clock"]]
    if status is None:
        objs = [s for s in objs if s["status"] not in ("canceled", "incomplete_expired")]
    elif status == "ended":
        objs = [s for s in objs if s["status"] in ("canceled", "incomplete_expired")]
    elif status != "all":
        objs = [s for s in objs if s["status"] == status]
    price = get_str(params, "price")
    if price:
        objs = [s for s in objs if any(i["_price"] == price for i in s["items"]["data"])]
    return objs


listing(
    "subscription",
    "/v1/subscriptions",
    LIST_SCHEMA,
    _where,
)


# -- update --------------------------------------------------------------------


@route("POST", "/v1/subscriptions/{id}", UPDATE_SCHEMA)
def subscription_update(ctx: Context, params: dict[str, Any], id: str):
    sub = ctx.get("subscription", id)
    customer = ctx.state.find("customer", sub["customer"])
    before = ctx.render(sub)
    allowed_when_ended = {"metadata", "cancellation_details", "expand"}
    if sub["status"] in ("canceled", "incomplete_expired") and set(params) - allowed_when_ended:
        raise invalid(
            "A canceled subscription can only update its cancellation_details and metadata."
        )
    now = ctx.now(customer)
    behavior = get_enum(params, "payment_behavior", PAYMENT_BEHAVIORS) or "allow_incomplete"
    proration = get_enum(params, "proration_behavior", PRORATION) or "create_prorations"
    trial_end = parse_trial_end(params, now)
    cancel_flag = get_bool(params, "cancel_at_period_end")
    anchor = get_enum(
        params.get("billing_cycle_anchor") or {},
        "type",
        ("now", "unchanged"),
        name="billing_cycle_anchor[type]",
    )

    # Validate everything that can fail before changing anything.
    dpm = None
    if params.get("default_payment_method"):
        dpm = resolve_attached(
            ctx,
            params["default_payment_method"],
            customer,
            param="default_payment_method",
            peek=True,
        )
    changes = parse_item_changes(ctx, sub, params)

    interval_change = any(
        p is not None
        and price_interval(p) != price_interval(price_of(ctx.state, sub["items"]["data"][0]))
        for _, p, _, d, _ in changes
        if not d
    )
    trialing = sub["status"] == "trialing" and trial_end != "now"
    charges = (
        sub["status"] in ("active", "past_due")
        and (interval_change or anchor == "now" or (changes and proration == "always_invoice"))
    ) or trial_end == "now"
    if charges and not trialing:
        _precheck(dpm or subscription_payment_method(ctx, sub), behavior)
    sub["automatic_tax"] = automatic_tax(ctx, params, customer, sub)  # validated, then set
    update_discounts(ctx, sub, customer, params, now)

    # Apply.
    pause_collection.update(sub, params, now)  # validated before anything changes
    if dpm is not None:
        dpm = resolve_attached(
            ctx, params["default_payment_method"], customer, param="default_payment_method"
        )
        sub["default_payment_method"] = dpm["id"]
    elif params.get("default_payment_method") == "":
        sub["default_payment_method"] = None
    sub["metadata"] = get_metadata(params, sub["metadata"])
    if "description" in params:
        sub["description"] = params["description"] or None
    details = params.get("cancellation_details")
    if details:
        for key in ("comment", "feedback"):
            if key in details:
                sub["cancellation_details"][key] = details[key] or None
    apply_trial_settings(sub, params)

    pending = apply_item_changes(
        ctx,
        sub,
        changes,
        prorate=not trialing and proration != "none",
        interval_change=interval_change,
        now=now,
    )

    if trial_end == "now" and sub["status"] == "trialing":
        ctx.emit("customer.subscription.trial_will_end", sub)
        end_trial(ctx, sub, reason="subscription_update")
    elif isinstance(trial_end, int):
        set_trial_end(ctx, sub, trial_end, now)
    elif sub["status"] in ("active", "past_due") and (interval_change or anchor == "now"):
        restart_period(ctx, sub, customer, pending, behavior, now)
        pending = []
    if pending:
        if proration == "always_invoice" and sub["status"] in ("active", "past_due"):
            invoice_now(ctx, sub, customer, sub["_pending_items"] + pending, behavior)
            sub["_pending_items"] = []
        else:
            sub["_pending_items"] += pending

    if cancel_flag is not None and sub["status"] not in ("canceled", "incomplete_expired"):
        cancel_at_period_end(sub, cancel_flag, now)

    if sub.pop("_emitted", False):
        before = ctx.render(sub)  # the pause already reported its change
    if sub["status"] == "canceled":
        return ctx.render(sub)
    ctx.emit("customer.subscription.updated", sub, before)
    return ctx.render(sub)


# -- cancel / resume -------------------------------------------------------------


@route(
    "DELETE",
    "/v1/subscriptions/{id}",
    CANCEL_SCHEMA,
)
def subscription_cancel(ctx: Context, params: dict[str, Any], id: str):
    sub = ctx.get("subscription", id)
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise invalid(
            f"A canceled subscription can only update its cancellation_details and metadata. "
            f"Subscription {id} is already canceled.",
            code="resource_missing",
        )
    details = params.get("cancellation_details") or {}
    for key in ("comment", "feedback"):
        if key in details:
            sub["cancellation_details"][key] = details[key] or None
    cancel_now(
        ctx,
        sub,
        reason="cancellation_requested",
        prorate=bool(get_bool(params, "prorate")),
        invoice_now=bool(get_bool(params, "invoice_now")),
    )
    return ctx.render(sub)


@route(
    "POST",
    "/v1/subscriptions/{id}/resume",
    RESUME_SCHEMA,
)
def subscription_resume(ctx: Context, params: dict[str, Any], id: str):
    """Resume a paused subscription (endive: billing_cycle_anchor[type], payment_behavior).

    resume_on_payment_attempt (default): the resumption invoice is finalized but not
    attempted here; the subscription stays paused until a payment attempt, then goes
    active (paid) or past_due (failed). resume_on_payment_success: payment is
    attempted now; it stays paused unless that succeeds.
    """
    sub = ctx.get("subscription", id)
    if sub["status"] != "paused":
        raise invalid(
            f"Only paused subscriptions can be resumed. This subscription is {sub['status']}."
        )
    anchor = (
        get_enum(
            params.get("billing_cycle_anchor") or {},
            "type",
            ("now", "unchanged"),
            name="billing_cycle_anchor[type]",
        )
        or "now"
    )
    behavior = get_enum(params, "payment_behavior", RESUME_BEHAVIORS) or RESUME_BEHAVIORS[0]
    get_enum(params, "proration_behavior", PRORATION)
    resume(ctx, sub, anchor=anchor, behavior=behavior)
    return ctx.render(sub)
