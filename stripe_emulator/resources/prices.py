"""Prices (and the legacy Plan view of a recurring one)."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid, missing_param
from stripe_emulator.params import (
    ANY,
    MAP,
    SCALAR,
    Enum,
    ListOf,
    get_bool,
    get_currency,
    get_enum,
    get_int,
    get_metadata,
    get_str,
)
from stripe_emulator.store import State, new_id
from stripe_emulator.tax import check_behavior_change
from stripe_emulator.validation import MAX_AMOUNT

from .base import PAGE, Context, listing, retrieve, route
from .currencies import parse_currency_options
from .products import product_object
from .skeletons import fill

INTERVALS = ("day", "week", "month", "year")

RECURRING_SCHEMA = {
    "interval": SCALAR,
    "interval_count": SCALAR,
    "usage_type": SCALAR,
    "trial_period_days": SCALAR,
}
PRICE_SCHEMA = {
    "currency": SCALAR,
    "currency_options": ANY,
    "unit_amount": SCALAR,
    "unit_amount_decimal": SCALAR,
    "product": SCALAR,
    "product_data": {"name": SCALAR, "active": SCALAR, "metadata": MAP, "id": SCALAR},
    "recurring": RECURRING_SCHEMA,
    "active": SCALAR,
    "lookup_key": SCALAR,
    "transfer_lookup_key": SCALAR,
    "nickname": SCALAR,
    "metadata": MAP,
    "tax_behavior": SCALAR,
    "billing_scheme": Enum("per_unit", "tiered"),
}


def _check_lookup_key(ctx: Context, key: str, transfer: bool, own_id: str | None = None) -> None:
    for other in ctx.state.all("price"):
        if other["lookup_key"] == key and other["id"] != own_id:
            if not transfer:
                raise invalid(
                    f"A price (`{other['id']}`) already uses that lookup key.",
                    param="lookup_key",
                )
            before = ctx.render(other)
            other["lookup_key"] = None
            ctx.emit("price.updated", other, before)


def price_object(
    ctx: Context,
    params: dict[str, Any],
    prefix: str = "",
    product: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A new price, validated; a product from `product_data` is created last."""

    def name(key: str) -> str:
        return f"{prefix}[{key}]" if prefix else key

    currency = get_currency(params, name=name("currency"), required=True)
    amount = get_int(params, "unit_amount", name=name("unit_amount"), minimum=0, maximum=MAX_AMOUNT)
    if amount is None:
        decimal = get_str(params, "unit_amount_decimal")
        if decimal is None:
            raise missing_param(name("unit_amount"))
        try:
            amount = int(float(decimal))
        except ValueError:
            raise invalid(
                f"Invalid decimal: {decimal}", param=name("unit_amount_decimal")
            ) from None
    new_product = None
    product_id = get_str(params, "product", name=name("product"))
    if product is not None:
        product_id = product["id"]
    elif product_id:
        ctx.get("product", product_id, param=name("product"), status=400)
    elif params.get("product_data"):
        new_product = product_object(ctx, params["product_data"])
        product_id = new_product["id"]
    else:
        raise missing_param(name("product"))
    recurring = None
    if params.get("recurring"):
        rec = params["recurring"]
        interval = get_enum(
            rec, "interval", INTERVALS, name=name("recurring[interval]"), required=True
        )
        count = get_int(rec, "interval_count", name=name("recurring[interval_count]"), minimum=1)
        count = count or 1
        limits = {"year": 3, "month": 36, "week": 156}
        if count > limits.get(interval, count):
            raise invalid("The maximum billing interval is three years.", param=name("recurring"))
        recurring = {
            "interval": interval,
            "interval_count": count,
            "meter": None,
            "trial_period_days": get_int(
                rec, "trial_period_days", name=name("recurring[trial_period_days]"), minimum=0
            ),
            "usage_type": get_enum(rec, "usage_type", ("licensed", "metered")) or "licensed",
        }
    lookup_key = get_str(params, "lookup_key", name=name("lookup_key"), max_length=200)
    transfer = bool(get_bool(params, "transfer_lookup_key"))
    if lookup_key and not transfer:
        _check_lookup_key(ctx, lookup_key, False)
    active = get_bool(params, "active")
    tax_behavior = get_enum(params, "tax_behavior", ("exclusive", "inclusive", "unspecified"))
    nickname = get_str(params, "nickname")
    options = parse_currency_options(params, currency, tax_behavior or "unspecified")
    metadata = get_metadata(params, name=name("metadata"))
    # Validation is over.
    if lookup_key and transfer:
        _check_lookup_key(ctx, lookup_key, True)
    if new_product is not None:
        ctx.insert(new_product)
        ctx.emit("product.created", new_product)
    return fill(
        "price",
        {
            "id": new_id("price"),
            "active": True if active is None else active,
            "created": ctx.now(),
            "currency": currency,
            "lookup_key": lookup_key or None,
            "metadata": metadata,
            "nickname": nickname or None,
            "product": product_id,
            "recurring": recurring,
            "tax_behavior": tax_behavior or "unspecified",
            "type": "recurring" if recurring else "one_time",
            "unit_amount": amount,
            "unit_amount_decimal": str(amount),
            "_currency_options": options or {},
        },
    )


@route("POST", "/v1/prices", PRICE_SCHEMA)
def price_create(ctx: Context, params: dict[str, Any]):
    price = ctx.insert(price_object(ctx, params))
    ctx.emit("price.created", price)
    return ctx.render(price)


retrieve("price", "/v1/prices/{id}")


@route(
    "POST",
    "/v1/prices/{id}",
    {
        "active": SCALAR,
        "currency_options": ANY,
        "lookup_key": SCALAR,
        "transfer_lookup_key": SCALAR,
        "nickname": SCALAR,
        "metadata": MAP,
        "tax_behavior": SCALAR,
    },
)
def price_update(ctx: Context, params: dict[str, Any], id: str):
    price = ctx.get("price", id)
    before = ctx.render(price)
    # Every check first: a refused update changes nothing.
    metadata = get_metadata(params, price["metadata"])
    choices = ("exclusive", "inclusive", "unspecified")
    behavior = check_behavior_change(price, get_enum(params, "tax_behavior", choices))
    options = parse_currency_options(params, price["currency"], behavior, update=True)
    active = get_bool(params, "active")
    key = get_str(params, "lookup_key", max_length=200)
    transfer = bool(get_bool(params, "transfer_lookup_key"))
    if key and not transfer:
        _check_lookup_key(ctx, key, False, price["id"])
    nickname = get_str(params, "nickname")
    # Then the changes.
    if options is not None:  # each currency given is added or replaced; "" clears all (I)
        price["_currency_options"] = {**price["_currency_options"], **options} if options else {}
    if "active" in params:
        price["active"] = active
    if "lookup_key" in params:
        if key:
            _check_lookup_key(ctx, key, transfer, price["id"])
        price["lookup_key"] = key or None
    if "nickname" in params:
        price["nickname"] = nickname or None
    if "tax_behavior" in params:
        price["tax_behavior"] = behavior
    price["metadata"] = metadata
    ctx.emit("price.updated", price, before)
    return ctx.render(price)


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    active = get_bool(params, "active")
    if active is not None:
        objs = [p for p in objs if p["active"] == active]
    if params.get("product"):
        objs = [p for p in objs if p["product"] == params["product"]]
    if params.get("type"):
        objs = [p for p in objs if p["type"] == params["type"]]
    currency = get_currency(params)
    if currency:
        objs = [p for p in objs if p["currency"] == currency]
    if params.get("lookup_keys"):
        objs = [p for p in objs if p["lookup_key"] in params["lookup_keys"]]
    rec = params.get("recurring") or {}
    if rec.get("interval"):
        objs = [p for p in objs if p["recurring"] and p["recurring"]["interval"] == rec["interval"]]
    return objs


listing(
    "price",
    "/v1/prices",
    PAGE
    | {
        "active": SCALAR,
        "product": SCALAR,
        "type": Enum("one_time", "recurring"),
        "currency": SCALAR,
        "lookup_keys": ListOf(SCALAR),
        "recurring": {
            "interval": Enum(*INTERVALS),
            "usage_type": Enum("licensed", "metered"),
            "meter": SCALAR,
        },
        "created": "any",
    },
    _where,
)


def price_of(state: State, item: dict[str, Any]) -> dict[str, Any]:
    return state.find("price", item["_price"])


def product_name(state: State, price: dict[str, Any]) -> str:
    product = state.find("product", price["product"])
    return product["name"] if product else price["product"]


def price_interval(price: dict[str, Any]) -> tuple[str, int]:
    return price["recurring"]["interval"], price["recurring"]["interval_count"]


def plan_from_price(price: dict[str, Any]) -> dict[str, Any]:
    """The legacy Plan view of a recurring price (subscription items carry both)."""
    recurring = price["recurring"] or {}
    return fill(
        "plan",
        {
            "id": price["id"],
            "active": price["active"],
            "amount": price["unit_amount"],
            "amount_decimal": price["unit_amount_decimal"],
            "billing_scheme": price["billing_scheme"],
            "created": price["created"],
            "currency": price["currency"],
            "interval": recurring.get("interval"),
            "interval_count": recurring.get("interval_count"),
            "metadata": dict(price["metadata"]),
            "nickname": price["nickname"],
            "product": price["product"],
            "trial_period_days": recurring.get("trial_period_days"),
            "usage_type": recurring.get("usage_type", "licensed"),
        },
    )
