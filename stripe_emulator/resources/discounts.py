"""Discounts: a coupon or promotion code redeemed on a subscription
(https://docs.stripe.com/api/discounts), and what they take off its invoices' lines
(https://docs.stripe.com/billing/subscriptions/coupons).

`discounts=[{coupon}]`, `[{promotion_code}]` (and `[{discount}]`, one already on the
subscription, on update) are checked before anything changes (`redeem_discounts`,
`update_discounts`); each redemption makes a `di_...` discount, counts once on its coupon
and promotion code, and is reported as `customer.discount.created`. A discount ends as
its coupon's duration says: `once` after the first invoice with something to discount,
`repeating` at `end` (start + duration_in_months), `forever` never; it then leaves the
subscription (`customer.discount.deleted`): a `once` one as soon as an invoice consumes
it (so a create's response no longer shows it [OBS-GO944]), a `repeating` one when the
first invoice from its `end` is made."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stripe_emulator.errors import StripeError, invalid, no_such
from stripe_emulator.params import SCALAR, ListOf
from stripe_emulator.store import new_id

from .base import Context, route
from .coupons import coupon_amount_off, coupon_expired, coupon_valid, find_coupon
from .currencies import unit_amount_in
from .periods import add_interval
from .prices import price_of
from .skeletons import fill

Lines = list[dict[str, Any]]
# The `discounts` parameter of a subscription create and update.
DISCOUNTS = ListOf({"coupon": SCALAR, "promotion_code": SCALAR, "discount": SCALAR})
Spec = dict[str, Any]  # {"discount": existing} or {"coupon": coupon, "promotion_code": promo}


# -- redemption: the checks, then the discount objects ------------------------------------


def _paid_before(ctx: Context, customer: dict[str, Any]) -> bool:
    """A successful payment or a paid invoice (restrictions.first_time_transaction)."""
    charges = ctx.state.all("charge")
    if any(c["customer"] == customer["id"] and c["status"] == "succeeded" for c in charges):
        return True
    return any(
        i["customer"] == customer["id"] and i["status"] == "paid" and i["amount_paid"] > 0
        for i in ctx.state.all("invoice")
    )


def _check_coupon(coupon: dict[str, Any], basket: dict[str, Any], now: int, param: str) -> None:
    if not coupon_valid(coupon, now):
        raise coupon_expired(coupon, param)
    currency = basket["currency"]
    if coupon["amount_off"] is not None and coupon_amount_off(coupon, currency) is None:
        raise invalid(
            f"The coupon {coupon['id']} has no amount_off in {currency}, the currency of this "
            "subscription.",
            param=param,
        )
    applies = (coupon["applies_to"] or {}).get("products")
    if applies is not None and not set(applies) & basket["products"]:
        raise invalid(
            f"The coupon {coupon['id']} does not apply to any of the subscription's items.",
            param=param,
        )


def _check_promotion_code(
    ctx: Context, promo: dict[str, Any], customer: dict[str, Any], basket: dict[str, Any], now
) -> None:
    param = basket["param"]
    if not promo["active"]:
        raise invalid("This promotion code is inactive.", param=param)
    if promo["expires_at"] is not None and now > promo["expires_at"]:
        raise invalid("This promotion code has expired.", param=param)
    limit = promo["max_redemptions"]
    if limit is not None and promo["times_redeemed"] >= limit:
        raise invalid(
            "This promotion code has reached its maximum number of redemptions.", param=param
        )
    if promo["customer"] and promo["customer"] != customer["id"]:
        raise invalid("This promotion code cannot be redeemed by this customer.", param=param)
    restrictions = promo["restrictions"]
    if restrictions["first_time_transaction"] and _paid_before(ctx, customer):
        raise invalid(
            "This promotion code can only be redeemed by customers who have never made a "
            "successful payment.",
            param=param,
        )
    currency = basket["currency"]
    minimum = None
    if restrictions["minimum_amount_currency"] == currency:
        minimum = restrictions["minimum_amount"]
    elif currency in (restrictions["currency_options"] or {}):
        minimum = restrictions["currency_options"][currency]["minimum_amount"]
    if minimum and basket["subtotal"] < minimum:
        raise invalid(
            f"This promotion code requires a minimum amount of {minimum} {currency}; the "
            f"subscription's amount is {basket['subtotal']}.",
            param=param,
        )


def _resolve(ctx, entries, customer, basket, existing: list[str], now: int) -> list[Spec]:
    if not isinstance(entries, list):
        raise invalid("Invalid array: discounts must be an array", param="discounts")
    specs: list[Spec] = []
    for i, entry in enumerate(entries):
        given = [k for k in ("coupon", "promotion_code", "discount") if (entry or {}).get(k)]
        if len(given) != 1:
            raise invalid(
                "You must specify exactly one of coupon, promotion_code or discount.",
                param=f"discounts[{i}]",
            )
        key = given[0]
        param = f"discounts[{i}][{key}]"
        value = entry[key]
        if key == "discount":
            if value not in existing:
                raise no_such("discount", value, param=param, status=400)
            specs.append({"discount": value})
            continue
        promo = None
        if key == "promotion_code":
            promo = ctx.state.find("promotion_code", value)
            if promo is None:
                raise no_such("promotion code", value, param=param, status=400)
            _check_promotion_code(ctx, promo, customer, basket | {"param": param}, now)
            coupon = ctx.state.find("coupon", promo["promotion"]["coupon"])
        else:
            coupon = find_coupon(ctx, value, param=param)
        _check_coupon(coupon, basket, now, param)
        specs.append({"coupon": coupon, "promotion_code": promo})
    return specs


def _redeem(ctx, spec: Spec, customer: dict[str, Any], sub_id: str, now: int) -> str:
    coupon, promo = spec["coupon"], spec["promotion_code"]
    end = None
    if coupon["duration"] == "repeating":
        end = add_interval(now, "month", coupon["duration_in_months"], anchor=now)
    discount = fill(
        "discount",
        {
            "id": new_id("di"),
            "customer": customer["id"],
            "end": end,
            "promotion_code": promo["id"] if promo else None,
            "source": {"coupon": coupon["id"], "type": "coupon"},
            "start": now,
            "subscription": sub_id,
            "_duration": coupon["duration"],
        },
    )
    ctx.insert(discount)
    coupon["times_redeemed"] += 1
    if promo is not None:
        promo["times_redeemed"] += 1
    ctx.emit("customer.discount.created", discount)
    return discount["id"]


def _basket(currency: str, priced: list[tuple[dict[str, Any], int]]) -> dict[str, Any]:
    return {
        "currency": currency,
        "products": {price["product"] for price, _ in priced},
        "subtotal": sum(unit_amount_in(price, currency) * qty for price, qty in priced),
    }


def redeem_discounts(ctx, params, customer, items, sub_id: str, now: int) -> list[str]:
    """A subscription create's `discounts` (items: its (price, quantity, metadata)), checked
    and redeemed: the discount ids for the new subscription. Call it last among the checks:
    it raises only before it changes anything."""
    entries = params.get("discounts")
    if not entries:
        return []
    currency = (params.get("currency") or items[0][0]["currency"]).lower()
    basket = _basket(currency, [(price, qty) for price, qty, _ in items])
    specs = _resolve(ctx, entries, customer, basket, [], now)
    return [_redeem(ctx, spec, customer, sub_id, now) for spec in specs]


def update_discounts(ctx, sub: dict[str, Any], customer, params: dict[str, Any], now) -> None:
    """A subscription update's `discounts`: a populated list replaces the discounts (an
    existing one kept with `{discount}`), "" clears them, absent leaves them."""
    if "discounts" not in params:
        return
    entries = params["discounts"]
    specs: list[Spec] = []
    if entries != "":
        priced = [(price_of(ctx.state, i), i["quantity"] or 0) for i in sub["items"]["data"]]
        basket = _basket(sub["currency"], priced)
        specs = _resolve(ctx, entries, customer, basket, sub["discounts"], now)
    kept = {spec["discount"] for spec in specs if "discount" in spec}
    for discount_id in list(sub["discounts"]):
        if discount_id not in kept:
            remove_discount(ctx, sub, discount_id)
    sub["discounts"] = [
        spec["discount"] if "discount" in spec else _redeem(ctx, spec, customer, sub["id"], now)
        for spec in specs
    ]


def remove_discount(ctx: Context, sub: dict[str, Any], discount_id: str) -> dict[str, Any]:
    """Take a discount off a subscription (its invoices keep naming it)."""
    sub["discounts"] = [d for d in sub["discounts"] if d != discount_id]
    discount = ctx.state.find("discount", discount_id)
    discount["_removed"] = True
    ctx.emit("customer.discount.deleted", discount)
    return discount


@route("DELETE", "/v1/subscriptions/{id}/discount")
def subscription_delete_discount(ctx: Context, params: dict[str, Any], id: str):
    """Removes the subscription's discounts; answers the (first) one removed, deleted."""
    sub = ctx.get("subscription", id)
    if not sub["discounts"]:
        raise StripeError(  # (I): the wording of this 404
            f"No active discount for subscription: {id}", status=404, code="resource_missing"
        )
    removed = [remove_discount(ctx, sub, d) for d in list(sub["discounts"])]
    return ctx.render(removed[0]) | {"deleted": True}


# -- amounts: what the discounts take off an invoice's lines ------------------------------


def _percent_of(amount: int, percent: float) -> int:
    exact = Decimal(amount) * Decimal(str(percent)) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _spread(total: int, remaining: list[int]) -> list[int]:
    """`total` spread over lines in proportion to what is left of each, none below zero."""
    left = sum(remaining)
    take = min(total, left)
    if take <= 0:
        return [0] * len(remaining)
    shares = [take * r // left for r in remaining]
    short = take - sum(shares)
    for i, r in enumerate(remaining):
        if short == 0:
            break
        if shares[i] < r:
            shares[i] += 1
            short -= 1
    return shares


def _applies(ctx: Context, coupon: dict[str, Any], line: dict[str, Any]) -> bool:
    if not line["discountable"] or line["amount"] <= 0:
        return False
    products = (coupon["applies_to"] or {}).get("products")
    if products is None:
        return True
    return line["pricing"]["price_details"]["product"] in products


def _take(ctx: Context, discount: dict[str, Any], lines: Lines, currency: str) -> None:
    coupon = ctx.state.find("coupon", discount["source"]["coupon"])
    eligible = [line for line in lines if _applies(ctx, coupon, line)]
    remaining = [
        line["amount"] - sum(d["amount"] for d in line["discount_amounts"]) for line in eligible
    ]
    if coupon["percent_off"] is not None:
        amounts = [_percent_of(r, coupon["percent_off"]) for r in remaining]
    else:
        amounts = _spread(coupon_amount_off(coupon, currency) or 0, remaining)
    for line, amount in zip(eligible, amounts, strict=True):
        line["discount_amounts"].append({"amount": amount, "discount": discount["id"]})
        line["pretax_credit_amounts"].append(
            {
                "amount": amount,
                "credit_balance_transaction": None,
                "discount": discount["id"],
                "type": "discount",
            }
        )


def discount_lines(ctx: Context, lines: Lines, *, sub: dict[str, Any], customer) -> None:
    """Each line's `discount_amounts` (and `pretax_credit_amounts`) from the subscription's
    discounts as they stand when the invoice is made. A `once` discount is consumed by the
    first invoice it takes something off and leaves the subscription then; a `repeating`
    one leaves it at the first invoice made from its `end` (I)."""
    for line in lines:
        line["discount_amounts"] = []
        line["pretax_credit_amounts"] = []
    if not sub or not sub.get("discounts"):
        return
    now = ctx.now(customer)
    for discount_id in list(sub["discounts"]):
        discount = ctx.state.find("discount", discount_id)
        if discount["end"] is not None and now >= discount["end"]:
            remove_discount(ctx, sub, discount_id)
            continue
        coupon = ctx.state.find("coupon", discount["source"]["coupon"])
        if discount["_duration"] == "once" and not any(_applies(ctx, coupon, x) for x in lines):
            continue  # a trial's zero invoice: the coupon waits for the first charge
        _take(ctx, discount, lines, sub["currency"])
        if discount["_duration"] == "once":
            remove_discount(ctx, sub, discount_id)  # consumed by this invoice [OBS-GO944]
