"""Coupons: create, retrieve, update, delete, list
(https://docs.stripe.com/api/coupons). A coupon is `valid` until its `redeem_by` passes or
its `max_redemptions` are used up; deleting one stops new redemptions and leaves the
discounts already made (https://docs.stripe.com/billing/subscriptions/coupons)."""

from __future__ import annotations

import secrets
import string
from typing import Any

from stripe_emulator.errors import StripeError, invalid, missing_param, no_such
from stripe_emulator.params import (
    ANY,
    MAP,
    SCALAR,
    ListOf,
    get_currency,
    get_enum,
    get_int,
    get_metadata,
    get_str,
)
from stripe_emulator.store import State, strip

from .base import PAGE, Context, listing, retrieve, route
from .currencies import currency_code
from .skeletons import fill

DURATIONS = ("forever", "once", "repeating")
FIVE_YEARS = 5 * 366 * 86_400
CREATE_SCHEMA = {
    "id": SCALAR,
    "amount_off": SCALAR,
    "percent_off": SCALAR,
    "currency": SCALAR,
    "currency_options": ANY,
    "duration": SCALAR,
    "duration_in_months": SCALAR,
    "max_redemptions": SCALAR,
    "redeem_by": SCALAR,
    "applies_to": {"products": ListOf(SCALAR)},
    "name": SCALAR,
    "metadata": MAP,
}
UPDATE_SCHEMA = {"name": SCALAR, "metadata": MAP, "currency_options": ANY}


def coupon_valid(coupon: dict[str, Any], now: int) -> bool:
    """Redeemable now: not deleted, redeem_by not passed, redemptions left."""
    if coupon.get("_deleted"):
        return False
    if coupon["redeem_by"] is not None and now > coupon["redeem_by"]:
        return False
    limit = coupon["max_redemptions"]
    return limit is None or coupon["times_redeemed"] < limit


def coupon_expired(coupon: dict[str, Any], param: str) -> StripeError:
    return invalid(f"Coupon expired: {coupon['id']}", param=param, code="coupon_expired")


def coupon_amount_off(coupon: dict[str, Any], currency: str) -> int | None:
    """The amount an amount_off coupon takes off in `currency`; None if it has none."""
    if coupon["currency"] == currency:
        return coupon["amount_off"]
    option = (coupon["currency_options"] or {}).get(currency)
    return option["amount_off"] if option else None


def render_coupon(state: State, coupon: dict[str, Any]) -> dict[str, Any]:
    body = strip(coupon)
    body["valid"] = coupon_valid(coupon, state.clock.now())
    return body


def _currency_options(value: Any, param: str = "currency_options") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"Invalid object: {param} must be a hash", param=param)
    options = {}
    for currency, option in value.items():
        name = f"{param}[{currency}]"
        if not isinstance(option, dict) or set(option) - {"amount_off"}:
            raise invalid(f"Invalid object: {name} must be a hash of amount_off", param=name)
        amount = get_int(option, "amount_off", name=f"{name}[amount_off]", required=True)
        if amount < 1:
            raise invalid(
                "This value must be greater than or equal to 1.", param=f"{name}[amount_off]"
            )
        options[currency_code(currency, name)] = {"amount_off": amount}
    return options


def _percent(params: dict[str, Any]) -> float | None:
    raw = params.get("percent_off")
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise invalid(f"Invalid decimal: {raw}", param="percent_off") from None
    if not 0 < value <= 100:
        raise invalid(
            "percent_off must be greater than 0 and less than or equal to 100.",
            param="percent_off",
        )
    return value


def _products(ctx: Context, params: dict[str, Any]) -> dict[str, Any] | None:
    applies = params.get("applies_to")
    if not applies:
        return None
    products = applies.get("products") or []
    for i, product_id in enumerate(products):
        ctx.get("product", product_id, param=f"applies_to[products][{i}]", status=400)
    return {"products": list(products)}


@route("POST", "/v1/coupons", CREATE_SCHEMA)
def coupon_create(ctx: Context, params: dict[str, Any]):
    now = ctx.now()
    percent = _percent(params)
    amount = get_int(params, "amount_off", minimum=1)
    if percent is None and amount is None:
        raise invalid("Coupons require either a percent_off or an amount_off.", param="percent_off")
    if percent is not None and amount is not None:
        raise invalid(
            "You may only specify one of these parameters: amount_off, percent_off.",
            param="amount_off",
            code="parameters_exclusive",
        )
    currency = get_currency(params, "currency")
    if amount is not None and not currency:
        raise missing_param("currency")
    options = None
    if params.get("currency_options") not in (None, ""):
        if amount is None:
            raise invalid(
                "currency_options is only supported when amount_off is passed.",
                param="currency_options",
            )
        options = _currency_options(params["currency_options"])
    duration = get_enum(params, "duration", DURATIONS) or "once"
    months = get_int(params, "duration_in_months", minimum=1)
    if duration == "repeating" and months is None:
        raise missing_param("duration_in_months")
    if duration != "repeating" and months is not None:
        raise invalid(
            "duration_in_months can only be set when duration is repeating.",
            param="duration_in_months",
        )
    redeem_by = get_int(params, "redeem_by")
    if redeem_by is not None and redeem_by <= now:
        raise invalid("redeem_by must be in the future.", param="redeem_by")
    if redeem_by is not None and redeem_by > now + FIVE_YEARS:
        raise invalid("redeem_by cannot be more than 5 years in the future.", param="redeem_by")
    name = get_str(params, "name")
    if name and len(name) > 40:
        raise invalid("name must be at most 40 characters.", param="name")
    alphabet = string.ascii_letters + string.digits
    coupon_id = get_str(params, "id") or "".join(secrets.choice(alphabet) for _ in range(8))
    if ctx.state.find("coupon", coupon_id):
        raise invalid("Coupon already exists.", param="id", code="resource_already_exists")
    coupon = fill(
        "coupon",
        {
            "id": coupon_id,
            "amount_off": amount,
            "applies_to": _products(ctx, params),
            "created": now,
            "currency": currency if amount is not None else None,
            "currency_options": options,
            "duration": duration,
            "duration_in_months": months,
            "max_redemptions": get_int(params, "max_redemptions", minimum=1),
            "metadata": get_metadata(params),
            "name": name or None,
            "percent_off": percent,
            "redeem_by": redeem_by,
        },
    )
    ctx.insert(coupon)
    ctx.emit("coupon.created", coupon)
    return ctx.render(coupon)


retrieve("coupon", "/v1/coupons/{id}")


@route("POST", "/v1/coupons/{id}", UPDATE_SCHEMA)
def coupon_update(ctx: Context, params: dict[str, Any], id: str):
    coupon = ctx.get("coupon", id)
    before = ctx.render(coupon)
    if params.get("currency_options") not in (None, ""):
        if coupon["amount_off"] is None:
            raise invalid(
                "currency_options is only supported if the coupon is amount-based.",
                param="currency_options",
            )
        options = _currency_options(params["currency_options"])
        coupon["currency_options"] = (coupon["currency_options"] or {}) | options
    if "name" in params:
        name = get_str(params, "name") or None
        if name and len(name) > 40:
            raise invalid("name must be at most 40 characters.", param="name")
        coupon["name"] = name
    coupon["metadata"] = get_metadata(params, coupon["metadata"])
    ctx.emit("coupon.updated", coupon, before)
    return ctx.render(coupon)


@route("DELETE", "/v1/coupons/{id}")
def coupon_delete(ctx: Context, params: dict[str, Any], id: str):
    coupon = ctx.get("coupon", id)
    ctx.emit("coupon.deleted", coupon)
    coupon["_deleted"] = True
    return {"id": id, "object": "coupon", "deleted": True}


listing("coupon", "/v1/coupons", PAGE | {"created": "any"})


def find_coupon(ctx: Context, coupon_id: str, *, param: str) -> dict[str, Any]:
    """A coupon by id for a redemption: a missing or deleted one is a 400."""
    coupon = ctx.state.find("coupon", coupon_id)
    if coupon is None or coupon.get("_deleted"):
        raise no_such("coupon", coupon_id, param=param, status=400)
    return coupon
