"""Subscriptions: create, retrieve, update, cancel, resume, list. What happens to them in
time (trial end, renewal, dunning, cancellation) is in stripe_emulator/lifecycle/."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import card_error, invalid, missing_param
from stripe_emulator.lifecycle.cancellation import cancel_now
from stripe_emulator.lifecycle.trial import (
    TRIAL_WILL_END,
    apply_trial_settings,
    end_trial,
    parse_trial_end,
)
from stripe_emulator.params import (
    MAP,
    SCALAR,
    ListOf,
    get_bool,
    get_enum,
    get_int,
    get_metadata,
    get_str,
)
from stripe_emulator.store import State, list_object, new_id, strip

from .base import PAGE, Context, listing, retrieve, route
from .charges import charge_outcome
from .invoice_items import period_lines, proration_lines, trial_lines
from .invoices import (
    FINALIZE_DELAY,
    invoice_attempt,
    invoice_create,
    invoice_finalize,
    invoice_now,
    invoice_payment_intent,
)
from .payment_intents import REQUIRES_ACTION_MESSAGE
from .payment_methods import resolve_attached, subscription_payment_method
from .periods import add_interval, days
from .setup_intents import setup_intent_object
from .skeletons import fill
from .subscription_items import (
    check_price,
    item_object,
    next_period_end,
    price_interval,
    price_of,
    render_items,
    set_period,
)

PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "default_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
)
PRORATION = ("create_prorations", "none", "always_invoice")
LIVE = ("trialing", "active", "past_due", "unpaid", "incomplete", "paused")

TRIAL_SETTINGS_SCHEMA = {
    "end_behavior": {"missing_payment_method": SCALAR, "billing_cycle_anchor": SCALAR}
}
ITEM_SCHEMA = {"price": SCALAR, "quantity": SCALAR, "metadata": MAP}
CREATE_SCHEMA = {
    "customer": SCALAR,
    "items": ListOf(ITEM_SCHEMA),
    "trial_period_days": SCALAR,
    "trial_end": SCALAR,
    "trial_settings": TRIAL_SETTINGS_SCHEMA,
    "default_payment_method": SCALAR,
    "payment_behavior": SCALAR,
    "metadata": MAP,
    "description": SCALAR,
    "off_session": SCALAR,
    "collection_method": SCALAR,
    "proration_behavior": SCALAR,
    "cancel_at_period_end": SCALAR,
    "payment_settings": {"save_default_payment_method": SCALAR},
}
UPDATE_SCHEMA = {
    "items": ListOf(ITEM_SCHEMA | {"id": SCALAR, "deleted": SCALAR, "clear_usage": SCALAR}),
    "trial_end": SCALAR,
    "trial_settings": TRIAL_SETTINGS_SCHEMA,
    "default_payment_method": SCALAR,
    "payment_behavior": SCALAR,
    "proration_behavior": SCALAR,
    "proration_date": SCALAR,
    "metadata": MAP,
    "description": SCALAR,
    "off_session": SCALAR,
    "cancel_at_period_end": SCALAR,
    "cancellation_details": {"comment": SCALAR, "feedback": SCALAR},
    "billing_cycle_anchor": {"type": SCALAR},
    "payment_settings": {"save_default_payment_method": SCALAR},
}
RESUME_BEHAVIORS = ("resume_on_payment_attempt", "resume_on_payment_success")


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
    items = params.get("items")
    if not items:
        raise missing_param("items")
    resolved = []
    for i, raw in enumerate(items):
        name = f"items[{i}][price]"
        price = check_price(ctx, get_str(raw, "price", name=name, required=True), name)
        qty = get_int(raw, "quantity", name=f"items[{i}][quantity]", minimum=0)
        resolved.append((price, 1 if qty is None else qty, get_metadata(raw)))
    first = resolved[0][0]
    for i, (price, _, _) in enumerate(resolved):
        if price["currency"] != first["currency"] or price_interval(price) != price_interval(first):
            raise invalid(
                "Currency and interval fields must match across all plans on this subscription.",
                param=f"items[{i}][price]",
            )
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
    trial_days = get_int(params, "trial_period_days", minimum=0, maximum=730)
    trial_end = parse_trial_end(params, now)
    if trial_days is not None and trial_end is not None:
        raise invalid(
            "You may only specify one of these parameters: trial_end, trial_period_days.",
            param="trial_end",
            code="parameters_exclusive",
        )
    if trial_days:
        trial_end = now + days(trial_days)
    if trial_end == "now":
        trial_end = None
    sub_id = new_id("sub")
    dpm_id = get_str(params, "default_payment_method")
    dpm = (
        resolve_attached(ctx, dpm_id, customer, param="default_payment_method", peek=True)
        if dpm_id
        else None
    )
    amount = sum(p["unit_amount"] * q for p, q, _ in resolved)
    pm = dpm
    if pm is None and customer["invoice_settings"]["default_payment_method"]:
        pm = ctx.state.find(
            "payment_method", customer["invoice_settings"]["default_payment_method"]
        )
    if not trial_end and amount > 0:
        if pm is None and behavior in ("allow_incomplete", "error_if_incomplete"):
            raise invalid(NO_PM_MESSAGE, code="resource_missing")
        _precheck(pm, behavior)

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
            "billing_cycle_anchor": trial_end or now,
            "created": now,
            "currency": first["currency"],
            "customer": customer["id"],
            "default_payment_method": dpm["id"] if dpm else None,
            "description": get_str(params, "description") or None,
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
    if trial_end:
        lines = trial_lines(ctx, sub, invoice_id, start, end)
    else:
        lines = period_lines(ctx, sub, invoice_id, start, end)
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason="subscription_create",
        lines=lines,
        period_start=now,
        period_end=now,
        invoice_id=invoice_id,
    )
    invoice_finalize(ctx, invoice)
    if trial_end:
        if trial_end - now <= TRIAL_WILL_END:
            sub["_twe_for"] = trial_end
            ctx.emit("customer.subscription.trial_will_end", sub)
    elif invoice["status"] == "paid":
        sub["status"] = "active"
    elif behavior == "default_incomplete":
        invoice_payment_intent(ctx, invoice, pm)
    else:
        status, _err = invoice_attempt(ctx, invoice, pm)
        if status == "succeeded":
            sub["status"] = "active"
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
    PAGE
    | {
        "customer": SCALAR,
        "status": SCALAR,
        "price": SCALAR,
        "test_clock": SCALAR,
        "collection_method": SCALAR,
        "created": "any",
    },
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
    changes = []  # (item or None, price, qty, deleted, meta)
    for i, raw in enumerate(params.get("items") or []):
        item_id = get_str(raw, "id", name=f"items[{i}][id]")
        item = None
        if item_id:
            item = next((x for x in sub["items"]["data"] if x["id"] == item_id), None)
            if item is None:
                raise invalid(
                    f"No such subscription item: '{item_id}'",
                    param=f"items[{i}][id]",
                    code="resource_missing",
                )
        deleted = bool(get_bool(raw, "deleted", name=f"items[{i}][deleted]"))
        price_id = get_str(raw, "price", name=f"items[{i}][price]")
        price = check_price(ctx, price_id, f"items[{i}][price]") if price_id else None
        if item is None and price is None:
            raise missing_param(f"items[{i}][price]")
        if price is not None and price["currency"] != sub["currency"]:
            raise invalid(
                "Currency and interval fields must match across all plans on this subscription.",
                param=f"items[{i}][price]",
            )
        qty = get_int(raw, "quantity", name=f"items[{i}][quantity]", minimum=0)
        changes.append((item, price, qty, deleted, raw.get("metadata")))

    removed = {item["id"] for item, _, _, deleted, _ in changes if deleted and item is not None}
    added = sum(1 for item, _, _, deleted, _ in changes if item is None and not deleted)
    if len(sub["items"]["data"]) - len(removed) + added < 1:
        raise invalid("A subscription must have at least one active plan.", param="items")

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

    # Apply.
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

    pending: list[dict[str, Any]] = []
    for item, price, qty, deleted, meta in changes:
        if deleted and item is not None:
            if not trialing and proration != "none":
                pending += proration_lines(ctx, sub, item, price_of(ctx.state, item), 0, now)
            sub["items"]["data"].remove(item)
            continue
        if item is None:
            start = sub["items"]["data"][0]["current_period_start"]
            end = sub["items"]["data"][0]["current_period_end"]
            new = item_object(
                sub["id"], price, 1 if qty is None else qty, meta or {}, now, start, end
            )
            if not trialing and proration != "none" and not interval_change:
                zero = dict(new, quantity=0)
                pending += proration_lines(ctx, sub, zero, price, new["quantity"], now)
            sub["items"]["data"].append(new)
            continue
        new_price = price or price_of(ctx.state, item)
        new_qty = item["quantity"] if qty is None else qty
        if not trialing and proration != "none":
            lines = proration_lines(ctx, sub, item, new_price, new_qty, now)
            if interval_change:  # the new period is billed in full: keep only the credit
                lines = [line for line in lines if line["amount"] < 0]
            pending += lines
        item["_price"] = new_price["id"]
        item["quantity"] = new_qty
        if meta is not None:
            item["metadata"] = get_metadata({"metadata": meta}, item["metadata"])

    if trial_end == "now" and sub["status"] == "trialing":
        ctx.emit("customer.subscription.trial_will_end", sub)
        end_trial(ctx, sub, reason="subscription_update")
    elif isinstance(trial_end, int):
        sub["trial_end"] = trial_end
        sub["billing_cycle_anchor"] = trial_end
        if sub["status"] != "trialing":
            sub["status"] = "trialing"
            sub["trial_start"] = now
            set_period(sub, now, trial_end)
        else:
            for item in sub["items"]["data"]:
                item["current_period_end"] = trial_end
        if sub["cancel_at_period_end"]:
            sub["cancel_at"] = trial_end
        if trial_end - now <= TRIAL_WILL_END:
            sub["_twe_for"] = trial_end
            ctx.emit("customer.subscription.trial_will_end", sub)
    elif sub["status"] in ("active", "past_due") and (interval_change or anchor == "now"):
        end = next_period_end(ctx, sub, now)
        set_period(sub, now, end)
        sub["billing_cycle_anchor"] = now
        if sub["cancel_at_period_end"]:
            sub["cancel_at"] = end
        lines = sub["_pending_items"] + pending + period_lines(ctx, sub, "", now, end)
        sub["_pending_items"] = []
        invoice_now(ctx, sub, customer, lines, behavior)
        pending = []
    if pending:
        if proration == "always_invoice" and sub["status"] in ("active", "past_due"):
            invoice_now(ctx, sub, customer, sub["_pending_items"] + pending, behavior)
            sub["_pending_items"] = []
        else:
            sub["_pending_items"] += pending

    if cancel_flag is not None and sub["status"] not in ("canceled", "incomplete_expired"):
        sub["cancel_at_period_end"] = cancel_flag
        if cancel_flag:
            sub["canceled_at"] = now
            sub["cancel_at"] = sub["items"]["data"][0]["current_period_end"]
            sub["cancellation_details"]["reason"] = "cancellation_requested"
        else:
            sub["canceled_at"] = None
            sub["cancel_at"] = None
            sub["cancellation_details"]["reason"] = None

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
    {
        "invoice_now": SCALAR,
        "prorate": SCALAR,
        "cancellation_details": {"comment": SCALAR, "feedback": SCALAR},
    },
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
    {
        "billing_cycle_anchor": {"type": SCALAR},
        "payment_behavior": SCALAR,
        "proration_behavior": SCALAR,
        "proration_date": SCALAR,
    },
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
    customer = ctx.state.find("customer", sub["customer"])
    now = ctx.now(customer)
    before = ctx.render(sub)
    sub["_resume_behavior"] = behavior
    if anchor == "unchanged":
        _mark_resumed(ctx, sub)
        ctx.emit("customer.subscription.updated", sub, before)
        return ctx.render(sub)
    end = next_period_end(ctx, sub, now)
    set_period(sub, now, end)
    sub["billing_cycle_anchor"] = now
    invoice_id = new_id("in")
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason="subscription_update",
        lines=period_lines(ctx, sub, invoice_id, now, end),
        period_start=now,
        period_end=now,
        invoice_id=invoice_id,
    )
    sub["latest_invoice"] = invoice["id"]
    invoice_finalize(ctx, invoice)
    if invoice["status"] == "paid":
        _mark_resumed(ctx, sub)
    elif behavior == "resume_on_payment_success":
        status, _ = invoice_attempt(ctx, invoice, subscription_payment_method(ctx, sub))
        if status == "succeeded":
            _mark_resumed(ctx, sub)
    else:
        # Not attempted in the resume response [PAUSE]; automatic collection charges it
        # about an hour later, like other subscription invoices (I).
        invoice["next_payment_attempt"] = now + FINALIZE_DELAY
    ctx.emit("customer.subscription.updated", sub, before)
    return ctx.render(sub)


def _mark_resumed(ctx: Context, sub: dict[str, Any], status: str = "active") -> None:
    sub["status"] = status
    sub["status_details"] = None
    sub.pop("_resume_behavior", None)
    ctx.emit("customer.subscription.resumed", sub)
