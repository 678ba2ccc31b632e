"""Promotion codes: create, retrieve, update, list
(https://docs.stripe.com/api/promotion_codes). A code wraps one coupon
(`promotion[type]=coupon`, `promotion[coupon]` in the pinned version); regardless of case
it is unique among the active codes a customer can use; it is `active` only while its
coupon is valid (https://docs.stripe.com/billing/subscriptions/coupons#promotion-codes)."""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from stripe_emulator.errors import invalid, missing_param
from stripe_emulator.params import (
    ANY,
    MAP,
    SCALAR,
    get_bool,
    get_currency,
    get_enum,
    get_int,
    get_metadata,
    get_str,
)
from stripe_emulator.store import State, new_id, strip

from .base import PAGE, Context, listing, retrieve, route
from .coupons import coupon_valid, find_coupon
from .currencies import currency_code
from .skeletons import fill

CODE = re.compile(r"^[A-Za-z0-9-]+$")
CREATE_SCHEMA = {
    "promotion": {"type": SCALAR, "coupon": SCALAR},
    "code": SCALAR,
    "active": SCALAR,
    "customer": SCALAR,
    "expires_at": SCALAR,
    "max_redemptions": SCALAR,
    "metadata": MAP,
    "restrictions": {
        "first_time_transaction": SCALAR,
        "minimum_amount": SCALAR,
        "minimum_amount_currency": SCALAR,
        "currency_options": ANY,
    },
}
UPDATE_SCHEMA = {"active": SCALAR, "metadata": MAP, "restrictions": {"currency_options": ANY}}


def promotion_coupon(state: State, promo: dict[str, Any]) -> dict[str, Any]:
    return state.find("coupon", promo["promotion"]["coupon"])


def render_promotion_code(state: State, promo: dict[str, Any]) -> dict[str, Any]:
    body = strip(promo)
    body["active"] = promo["active"] and coupon_valid(
        promotion_coupon(state, promo), state.clock.now()
    )
    return body


def _currency_options(value: Any, minimum_currency: str | None) -> dict[str, Any]:
    param = "restrictions[currency_options]"
    if not isinstance(value, dict):
        raise invalid(f"Invalid object: {param} must be a hash", param=param)
    options = {}
    for currency, option in value.items():
        name = f"{param}[{currency}]"
        if not isinstance(option, dict) or set(option) - {"minimum_amount"}:
            raise invalid(f"Invalid object: {name} must be a hash of minimum_amount", param=name)
        code = currency_code(currency, name)
        if minimum_currency and code == minimum_currency:
            raise invalid(
                "Each currency in currency_options must be different from minimum_amount_currency.",
                param=name,
            )
        amount = get_int(option, "minimum_amount", name=f"{name}[minimum_amount]", minimum=0)
        options[code] = {"minimum_amount": amount or 0}
    return options


def _check_unique(ctx: Context, code: str, customer: str | None, *, skip: str = "") -> None:
    """Regardless of case, unique among the active codes one customer can use."""
    for other in ctx.state.all("promotion_code"):
        if other["id"] == skip or other["code"].lower() != code.lower():
            continue
        if not render_promotion_code(ctx.state, other)["active"]:
            continue
        if other["customer"] is None or customer is None or other["customer"] == customer:
            raise invalid(
                f"An active promotion code with `code: {code}` already exists.",
                param="code",
                code="resource_already_exists",
            )


@route("POST", "/v1/promotion_codes", CREATE_SCHEMA)
def promotion_code_create(ctx: Context, params: dict[str, Any]):
    now = ctx.now()
    promotion = params.get("promotion")
    if not promotion:
        raise missing_param("promotion")
    get_enum(promotion, "type", ("coupon",), name="promotion[type]", required=True)
    coupon_id = get_str(promotion, "coupon", name="promotion[coupon]", required=True)
    coupon = find_coupon(ctx, coupon_id, param="promotion[coupon]")
    code = get_str(params, "code")
    if code is None or code == "":
        alphabet = string.ascii_uppercase + string.digits
        code = "".join(secrets.choice(alphabet) for _ in range(8))
    elif not CODE.match(code):
        raise invalid(
            "Promotion codes can only contain letters (a-z, A-Z), digits (0-9) and dashes (-).",
            param="code",
            code="invalid_characters",
        )
    customer_id = get_str(params, "customer")
    if customer_id:
        ctx.get("customer", customer_id, param="customer", status=400)
    expires_at = get_int(params, "expires_at")
    if expires_at is not None and expires_at <= now:
        raise invalid("expires_at must be in the future.", param="expires_at")
    if expires_at is not None and coupon["redeem_by"] and expires_at > coupon["redeem_by"]:
        raise invalid("expires_at cannot be after the coupon's redeem_by.", param="expires_at")
    limit = get_int(params, "max_redemptions", minimum=1)
    if limit and coupon["max_redemptions"] and limit > coupon["max_redemptions"]:
        raise invalid(
            "max_redemptions cannot be greater than the coupon's max_redemptions.",
            param="max_redemptions",
        )
    restrictions = params.get("restrictions") or {}
    minimum = get_int(
        restrictions, "minimum_amount", name="restrictions[minimum_amount]", minimum=0
    )
    minimum_currency = get_currency(
        restrictions, "minimum_amount_currency", name="restrictions[minimum_amount_currency]"
    )
    if minimum is not None and not minimum_currency:
        raise missing_param("restrictions[minimum_amount_currency]")
    if minimum_currency and minimum is None:
        raise missing_param("restrictions[minimum_amount]")
    options = {}
    if restrictions.get("currency_options") not in (None, ""):
        options = _currency_options(restrictions["currency_options"], minimum_currency)
    active = get_bool(params, "active")
    active = True if active is None else active
    if active:
        _check_unique(ctx, code, customer_id)
    promo = fill(
        "promotion_code",
        {
            "id": new_id("promo"),
            "active": active,
            "code": code,
            "created": now,
            "customer": customer_id or None,
            "expires_at": expires_at,
            "max_redemptions": limit,
            "metadata": get_metadata(params),
            "promotion": {"coupon": coupon["id"], "type": "coupon"},
            "restrictions": {
                "currency_options": options,
                "first_time_transaction": bool(
                    get_bool(
                        restrictions,
                        "first_time_transaction",
                        name="restrictions[first_time_transaction]",
                    )
                ),
                "minimum_amount": minimum,
                "minimum_amount_currency": minimum_currency,
            },
        },
    )
    ctx.insert(promo)
    ctx.emit("promotion_code.created", promo)
    return ctx.render(promo)


retrieve("promotion_code", "/v1/promotion_codes/{id}")


@route("POST", "/v1/promotion_codes/{id}", UPDATE_SCHEMA)
def promotion_code_update(ctx: Context, params: dict[str, Any], id: str):
    promo = ctx.get("promotion_code", id)
    before = ctx.render(promo)
    active = get_bool(params, "active")
    if active and not before["active"]:
        coupon = promotion_coupon(ctx.state, promo)
        now = ctx.now()
        spent = promo["max_redemptions"] and promo["times_redeemed"] >= promo["max_redemptions"]
        expired = promo["expires_at"] is not None and now > promo["expires_at"]
        if not coupon_valid(coupon, now) or spent or expired:
            raise invalid(
                "This promotion code cannot be reactivated: its coupon is no longer valid or "
                "the code can no longer be redeemed.",
                param="active",
            )
        _check_unique(ctx, promo["code"], promo["customer"], skip=promo["id"])
    restrictions = params.get("restrictions") or {}
    if restrictions.get("currency_options") not in (None, ""):
        options = _currency_options(
            restrictions["currency_options"], promo["restrictions"]["minimum_amount_currency"]
        )
        promo["restrictions"]["currency_options"] |= options
    if active is not None:
        promo["active"] = active
    promo["metadata"] = get_metadata(params, promo["metadata"])
    ctx.emit("promotion_code.updated", promo, before)
    return ctx.render(promo)


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    code = get_str(params, "code")
    if code:
        objs = [p for p in objs if p["code"].lower() == code.lower()]
    coupon = get_str(params, "coupon")
    if coupon:
        objs = [p for p in objs if p["promotion"]["coupon"] == coupon]
    customer = get_str(params, "customer")
    if customer:
        objs = [p for p in objs if p["customer"] == customer]
    active = get_bool(params, "active")
    if active is not None:
        objs = [p for p in objs if render_promotion_code(ctx.state, p)["active"] == active]
    return objs


listing(
    "promotion_code",
    "/v1/promotion_codes",
    PAGE
    | {
        "active": SCALAR,
        "code": SCALAR,
        "coupon": SCALAR,
        "customer": SCALAR,
        "created": "any",
    },
    _where,
)
