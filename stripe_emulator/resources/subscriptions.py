"""Subscriptions: create, retrieve, update, cancel, resume, list."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import StripeError, card_error, invalid, missing_param
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
from stripe_emulator.store import State, list_object, new_id, paginate, strip

from .base import Context, route
from .common import money_str
from .payment_methods import resolve_attached
from .payments import (
    REQUIRES_ACTION_MESSAGE,
    charge_outcome,
    invoice_attempt,
    invoice_create,
    invoice_finalize,
    invoice_payment_intent,
    line_item,
)
from .periods import add_interval, days
from .products import plan_from_price

PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "default_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
)
MISSING_PM = ("cancel", "create_invoice", "pause")
PRORATION = ("create_prorations", "none", "always_invoice")
LIVE = ("trialing", "active", "past_due", "unpaid", "incomplete", "paused")
MAX_TRIAL = days(730)
FINALIZE_DELAY = 3600  # a subscription's cycle invoice stays a draft about an hour [BTEST]
TRIAL_WILL_END = days(3)
TIMES = "\N{MULTIPLICATION SIGN}"  # as in Stripe's "1 x Plan" line texts

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
    for raw, item in zip(sub["items"]["data"], body["items"]["data"], strict=True):
        del item["_price"]
        price = state.find("price", raw["_price"])
        item["price"] = strip(price)
        item["plan"] = plan_from_price(price)
    return body


def _price_of(state: State, item: dict[str, Any]) -> dict[str, Any]:
    return state.find("price", item["_price"])


def _product_name(state: State, price: dict[str, Any]) -> str:
    product = state.find("product", price["product"])
    return product["name"] if product else price["product"]


def _interval(price: dict[str, Any]) -> tuple[str, int]:
    return price["recurring"]["interval"], price["recurring"]["interval_count"]


def _item(sub_id: str, price: dict[str, Any], qty: int, meta: dict, now: int, start: int, end: int):
    return {
        "id": new_id("si", 14),
        "object": "subscription_item",
        "billed_until": None,
        "billing_thresholds": None,
        "created": now,
        "current_period_end": end,
        "current_period_start": start,
        "current_trial": None,
        "discounts": [],
        "metadata": meta,
        "quantity": qty,
        "subscription": sub_id,
        "tax_rates": [],
        "_price": price["id"],
    }


def _check_price(ctx: Context, price_id: str, param: str) -> dict[str, Any]:
    price = ctx.get("price", price_id, param=param, status=400)
    if not price["active"]:
        raise invalid(
            "The price specified is inactive. This field only accepts active prices.", param=param
        )
    if price["type"] != "recurring":
        raise invalid(
            "The price specified is set to `type=one_time` but this field only accepts prices "
            "with `type=recurring`.",
            param=param,
        )
    return price


def _period_lines(ctx: Context, sub: dict[str, Any], invoice_id: str, start: int, end: int):
    lines = []
    for item in sub["items"]["data"]:
        price = _price_of(ctx.state, item)
        name = _product_name(ctx.state, price)
        qty = item["quantity"] or 0
        interval, _ = _interval(price)
        lines.append(
            line_item(
                invoice_id=invoice_id,
                sub=sub,
                item_id=item["id"],
                price=price,
                quantity=qty,
                amount=price["unit_amount"] * qty,
                description=f"{qty} {TIMES} {name} "
                f"(at {money_str(price['unit_amount'], price['currency'])} / {interval})",
                start=start,
                end=end,
            )
        )
    return lines


def _trial_lines(ctx: Context, sub: dict[str, Any], invoice_id: str, start: int, end: int):
    lines = []
    for item in sub["items"]["data"]:
        price = _price_of(ctx.state, item)
        lines.append(
            line_item(
                invoice_id=invoice_id,
                sub=sub,
                item_id=item["id"],
                price=price,
                quantity=item["quantity"] or 0,
                amount=0,
                description=f"Trial period for {_product_name(ctx.state, price)}",
                start=start,
                end=end,
            )
        )
    return lines


def _set_period(sub: dict[str, Any], start: int, end: int) -> None:
    for item in sub["items"]["data"]:
        item["current_period_start"] = start
        item["current_period_end"] = end


def _next_period_end(ctx: Context, sub: dict[str, Any], start: int) -> int:
    price = _price_of(ctx.state, sub["items"]["data"][0])
    interval, count = _interval(price)
    return add_interval(start, interval, count, anchor=start)


def _payment_method(ctx: Context, sub: dict[str, Any]) -> dict[str, Any] | None:
    customer = ctx.state.find("customer", sub["customer"])
    for pm_id in (
        sub["default_payment_method"],
        customer["invoice_settings"]["default_payment_method"],
    ):
        if pm_id:
            pm = ctx.state.find("payment_method", pm_id)
            if pm is not None and pm["customer"] == customer["id"]:
                return pm
    return None


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


def _parse_trial_end(params: dict[str, Any], now: int) -> int | str | None:
    value = params.get("trial_end")
    if value is None or value == "":
        return None
    if value == "now":
        return "now"
    trial_end = get_int(params, "trial_end")
    if trial_end <= now:
        raise invalid(
            "Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end"
        )
    if trial_end > now + MAX_TRIAL:
        raise invalid(
            "Invalid timestamp: can be no more than two years in the future.", param="trial_end"
        )
    return trial_end


def _apply_trial_settings(sub: dict[str, Any], params: dict[str, Any]) -> None:
    settings = (params.get("trial_settings") or {}).get("end_behavior") or {}
    target = sub["trial_settings"]["end_behavior"]
    name = "trial_settings[end_behavior]"
    if settings.get("missing_payment_method"):
        target["missing_payment_method"] = get_enum(
            settings, "missing_payment_method", MISSING_PM, name=f"{name}[missing_payment_method]"
        )
    if settings.get("billing_cycle_anchor"):
        target["billing_cycle_anchor"] = get_enum(
            settings,
            "billing_cycle_anchor",
            ("now", "unchanged"),
            name=f"{name}[billing_cycle_anchor]",
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
        price = _check_price(ctx, get_str(raw, "price", name=name, required=True), name)
        qty = get_int(raw, "quantity", name=f"items[{i}][quantity]", minimum=0)
        resolved.append((price, 1 if qty is None else qty, get_metadata(raw)))
    first = resolved[0][0]
    for i, (price, _, _) in enumerate(resolved):
        if price["currency"] != first["currency"] or _interval(price) != _interval(first):
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
    trial_end = _parse_trial_end(params, now)
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
    end = trial_end or add_interval(now, *_interval(first), anchor=now)
    sub = {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": trial_end or now,
        "billing_cycle_anchor_config": None,
        "billing_mode": {
            "flexible": {"proration_discounts": "included"},
            "type": "flexible",
            "updated_at": None,
        },
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {
            "comment": None,
            "feedback": None,
            "feedback_option": None,
            "reason": None,
        },
        "collection_method": "charge_automatically",
        "created": now,
        "currency": first["currency"],
        "customer": customer["id"],
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": dpm["id"] if dpm else None,
        "default_source": None,
        "default_tax_rates": [],
        "description": get_str(params, "description") or None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"account": None, "type": "self"},
        },
        "items": list_object(
            [_item(sub_id, p, q, m, now, start, end) for p, q, m in resolved],
            f"/v1/subscription_items?subscription={sub_id}",
        ),
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": get_metadata(params),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": (params.get("payment_settings") or {}).get(
                "save_default_payment_method"
            )
            or "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "presentment_details": None,
        "schedule": None,
        "start_date": now,
        "status": "trialing" if trial_end else "incomplete",
        "status_details": None,
        "test_clock": customer.get("test_clock"),
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {
            "end_behavior": {
                "billing_cycle_anchor": None,
                "missing_payment_method": "create_invoice",
            }
        },
        "trial_start": now if trial_end else None,
        "_pending_items": [],
    }
    _apply_trial_settings(sub, params)
    if get_bool(params, "cancel_at_period_end"):
        sub.update(cancel_at_period_end=True, cancel_at=end, canceled_at=now)
    ctx.insert(sub)
    invoice_id = new_id("in")
    sub["latest_invoice"] = invoice_id
    if trial_end and pm is None:
        from .setup_intents import setup_intent_object

        seti = ctx.insert(setup_intent_object(ctx, customer, usage="off_session"))
        sub["pending_setup_intent"] = seti["id"]
        ctx.emit("setup_intent.created", seti)
    # Stripe reports the subscription as the create call leaves it (one
    # customer.subscription.created, no update): the snapshot is taken at the end.
    created = ctx.emit("customer.subscription.created", sub)
    if trial_end:
        lines = _trial_lines(ctx, sub, invoice_id, start, end)
    else:
        lines = _period_lines(ctx, sub, invoice_id, start, end)
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


@route("GET", "/v1/subscriptions/{id}")
def subscription_retrieve(ctx: Context, params: dict[str, Any], id: str):
    return ctx.render(ctx.get("subscription", id))


@route(
    "GET",
    "/v1/subscriptions",
    {
        "limit": SCALAR,
        "starting_after": SCALAR,
        "ending_before": SCALAR,
        "customer": SCALAR,
        "status": SCALAR,
        "price": SCALAR,
        "test_clock": SCALAR,
        "collection_method": SCALAR,
        "created": "any",
    },
)
def subscription_list(ctx: Context, params: dict[str, Any]):
    objs = ctx.state.all("subscription")
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
    return paginate(ctx.state, objs, params, "/v1/subscriptions", "subscription")


@route(
    "GET",
    "/v1/subscription_items",
    {"subscription": SCALAR, "limit": SCALAR, "starting_after": SCALAR, "ending_before": SCALAR},
)
def subscription_item_list(ctx: Context, params: dict[str, Any]):
    sub_id = get_str(params, "subscription", required=True)
    sub = ctx.get("subscription", sub_id, param="subscription", status=400)
    body = render_subscription(ctx.state, sub)
    rendered = {i["id"]: i for i in body["items"]["data"]}
    items = [dict(rendered[i["id"]], _seq=n) for n, i in enumerate(sub["items"]["data"])]
    page = paginate(ctx.state, items, params, f"/v1/subscription_items?subscription={sub_id}", "si")
    page["data"] = [strip(i) for i in page["data"]]
    return page


# -- trial end -----------------------------------------------------------------


def end_trial(ctx: Context, sub: dict[str, Any], *, reason: str, deferred: bool = False) -> None:
    """The trial is over now: charge a new period, or apply end_behavior without a card.

    `deferred` is the trial reaching its end by itself (docs/emulator-lifecycle.md,
    "Conversion"): the subscription goes active at once with a draft invoice that is finalized
    and charged about an hour later (the scheduler does that), and
    customer.subscription.updated is emitted here. Without it (trial_end=now
    in an update) the invoice is finalized and charged in the request and the
    caller reports the update.
    """
    customer = ctx.state.find("customer", sub["customer"])
    now = ctx.now(customer)
    before = ctx.render(sub)
    sub["trial_end"] = now
    pm = _payment_method(ctx, sub)
    behavior = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
    if pm is None and behavior == "cancel":
        cancel_now(ctx, sub, reason=None, emit_before=True)
        return
    if pm is None and behavior == "pause":
        sub["status"] = "paused"
        sub["status_details"] = {
            "paused": {
                "subscription": {"type": "trial_end_without_payment_method"},
                "transitioned_at": now,
                "type": "subscription",
            }
        }
        ctx.emit("customer.subscription.paused", sub)
        ctx.emit("customer.subscription.updated", sub, before)
        if not deferred:
            sub["_emitted"] = True
        return
    end = _next_period_end(ctx, sub, now)
    _set_period(sub, now, end)
    sub["billing_cycle_anchor"] = now
    sub["status"] = "active"
    invoice_id = new_id("in")
    sub["latest_invoice"] = invoice_id
    lines = sub["_pending_items"] + _period_lines(ctx, sub, invoice_id, now, end)
    sub["_pending_items"] = []
    if deferred:
        ctx.emit("customer.subscription.updated", sub, before)
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason=reason,
        lines=lines,
        period_start=now,
        period_end=now,
        invoice_id=invoice_id,
    )
    if deferred:
        invoice["_finalize_at"] = now + FINALIZE_DELAY
        return
    invoice_finalize(ctx, invoice)
    if invoice["status"] != "paid":
        status, _ = invoice_attempt(ctx, invoice, pm)
        if status != "succeeded":
            sub["status"] = "past_due"


# -- update --------------------------------------------------------------------


def _proration_lines(
    ctx: Context, sub: dict[str, Any], item: dict[str, Any], new_price, new_qty, now: int
) -> list[dict[str, Any]]:
    start, end = item["current_period_start"], item["current_period_end"]
    if end <= start or now >= end:
        return []
    fraction = (end - now) / (end - start)
    old_price = _price_of(ctx.state, item)
    old_qty = item["quantity"] or 0
    old_name = _product_name(ctx.state, old_price)
    new_name = _product_name(ctx.state, new_price)
    credit = -round(old_price["unit_amount"] * old_qty * fraction)
    debit = round(new_price["unit_amount"] * new_qty * fraction)
    lines = []
    if credit:
        lines.append(
            line_item(
                invoice_id="",
                sub=sub,
                item_id=item["id"],
                price=old_price,
                quantity=old_qty,
                amount=credit,
                description=f"Unused time on {old_qty} {TIMES} {old_name}",
                start=now,
                end=end,
                proration=True,
            )
        )
    if debit:
        lines.append(
            line_item(
                invoice_id="",
                sub=sub,
                item_id=item["id"],
                price=new_price,
                quantity=new_qty,
                amount=debit,
                description=f"Remaining time on {new_qty} {TIMES} {new_name}",
                start=now,
                end=end,
                proration=True,
            )
        )
    return lines


def _charge_now(ctx, sub, customer, lines, behavior: str) -> None:
    """Invoice `lines` at once (always_invoice, a new cycle) and collect per payment_behavior."""
    now = ctx.now(customer)
    invoice_id = new_id("in")
    for line in lines:
        line["invoice"] = invoice_id
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason="subscription_update",
        lines=lines,
        period_start=now,
        period_end=now,
        invoice_id=invoice_id,
    )
    sub["latest_invoice"] = invoice["id"]
    invoice_finalize(ctx, invoice)
    if invoice["status"] == "paid":
        return
    pm = _payment_method(ctx, sub)
    if behavior == "default_incomplete":
        invoice_payment_intent(ctx, invoice, pm)
        sub["status"] = "past_due"
        return
    status, _ = invoice_attempt(ctx, invoice, pm)
    if status != "succeeded" and sub["status"] == "active":
        sub["status"] = "past_due"


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
    trial_end = _parse_trial_end(params, now)
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
        price = _check_price(ctx, price_id, f"items[{i}][price]") if price_id else None
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
        p is not None and _interval(p) != _interval(_price_of(ctx.state, sub["items"]["data"][0]))
        for _, p, _, d, _ in changes
        if not d
    )
    trialing = sub["status"] == "trialing" and trial_end != "now"
    charges = (
        sub["status"] in ("active", "past_due")
        and (interval_change or anchor == "now" or (changes and proration == "always_invoice"))
    ) or trial_end == "now"
    if charges and not trialing:
        _precheck(dpm or _payment_method(ctx, sub), behavior)

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
    _apply_trial_settings(sub, params)

    pending: list[dict[str, Any]] = []
    for item, price, qty, deleted, meta in changes:
        if deleted and item is not None:
            if not trialing and proration != "none":
                pending += _proration_lines(ctx, sub, item, _price_of(ctx.state, item), 0, now)
            sub["items"]["data"].remove(item)
            continue
        if item is None:
            start = sub["items"]["data"][0]["current_period_start"]
            end = sub["items"]["data"][0]["current_period_end"]
            new = _item(sub["id"], price, 1 if qty is None else qty, meta or {}, now, start, end)
            if not trialing and proration != "none" and not interval_change:
                zero = dict(new, quantity=0)
                pending += _proration_lines(ctx, sub, zero, price, new["quantity"], now)
            sub["items"]["data"].append(new)
            continue
        new_price = price or _price_of(ctx.state, item)
        new_qty = item["quantity"] if qty is None else qty
        if not trialing and proration != "none":
            lines = _proration_lines(ctx, sub, item, new_price, new_qty, now)
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
            _set_period(sub, now, trial_end)
        else:
            for item in sub["items"]["data"]:
                item["current_period_end"] = trial_end
        if sub["cancel_at_period_end"]:
            sub["cancel_at"] = trial_end
        if trial_end - now <= TRIAL_WILL_END:
            sub["_twe_for"] = trial_end
            ctx.emit("customer.subscription.trial_will_end", sub)
    elif sub["status"] in ("active", "past_due") and (interval_change or anchor == "now"):
        end = _next_period_end(ctx, sub, now)
        _set_period(sub, now, end)
        sub["billing_cycle_anchor"] = now
        if sub["cancel_at_period_end"]:
            sub["cancel_at"] = end
        lines = sub["_pending_items"] + pending + _period_lines(ctx, sub, "", now, end)
        sub["_pending_items"] = []
        _charge_now(ctx, sub, customer, lines, behavior)
        pending = []
    if pending:
        if proration == "always_invoice" and sub["status"] in ("active", "past_due"):
            _charge_now(ctx, sub, customer, sub["_pending_items"] + pending, behavior)
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


def cancel_now(
    ctx: Context,
    sub: dict[str, Any],
    *,
    reason: str | None,
    prorate: bool = False,
    invoice_now: bool = False,
    emit_before: bool = False,
    keep_canceled_at: bool = False,
) -> None:
    """End the subscription now. `keep_canceled_at`: a scheduled end (cancel_at_period_end)
    keeps canceled_at at the time of the request that asked for it [SDK-sub]."""
    customer = ctx.state.find("customer", sub["customer"])
    now = ctx.now(customer)
    if prorate and sub["status"] in ("active", "past_due"):
        for item in sub["items"]["data"]:
            sub["_pending_items"] += _proration_lines(
                ctx, sub, item, _price_of(ctx.state, item), 0, now
            )
    if invoice_now and sub["_pending_items"]:
        _charge_now(ctx, sub, customer, sub["_pending_items"], "allow_incomplete")
    sub["_pending_items"] = []
    for invoice in ctx.state.all("invoice"):
        parent = (invoice.get("parent") or {}).get("subscription_details") or {}
        if parent.get("subscription") != sub["id"] or invoice["status"] not in ("draft", "open"):
            continue
        before_invoice = ctx.render(invoice)
        invoice["auto_advance"] = False
        if sub["status"] == "incomplete":
            invoice["status"] = "void"
            invoice["status_transitions"]["voided_at"] = now
            invoice["amount_remaining"] = 0
            ctx.emit("invoice.voided", invoice)
        ctx.emit("invoice.updated", invoice, before_invoice)
    canceled_at = sub["canceled_at"] if keep_canceled_at and sub["canceled_at"] else now
    sub.update(status="canceled", canceled_at=canceled_at, ended_at=now)
    sub["cancellation_details"]["reason"] = reason
    if sub.get("pending_setup_intent"):
        sub["pending_setup_intent"] = None
    ctx.emit("customer.subscription.deleted", sub)


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
    end = _next_period_end(ctx, sub, now)
    _set_period(sub, now, end)
    sub["billing_cycle_anchor"] = now
    invoice_id = new_id("in")
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason="subscription_update",
        lines=_period_lines(ctx, sub, invoice_id, now, end),
        period_start=now,
        period_end=now,
        invoice_id=invoice_id,
    )
    sub["latest_invoice"] = invoice["id"]
    invoice_finalize(ctx, invoice)
    if invoice["status"] == "paid":
        _mark_resumed(ctx, sub)
    elif behavior == "resume_on_payment_success":
        status, _ = invoice_attempt(ctx, invoice, _payment_method(ctx, sub))
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


__all__ = ["StripeError", "cancel_now", "end_trial"]
