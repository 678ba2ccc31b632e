"""Subscription items: a subscription's prices and quantities, and their billing period
(since the `basil` API version the period sits on each item)."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid
from stripe_emulator.params import SCALAR, get_str
from stripe_emulator.store import State, new_id, paginate, strip

from .base import PAGE, Context, route
from .periods import add_interval
from .prices import plan_from_price
from .skeletons import fill


def render_items(state: State, sub: dict[str, Any], body: dict[str, Any]) -> None:
    """Fill a rendered subscription's items with their price and legacy plan."""
    for raw, item in zip(sub["items"]["data"], body["items"]["data"], strict=True):
        del item["_price"]
        price = state.find("price", raw["_price"])
        item["price"] = strip(price)
        item["plan"] = plan_from_price(price)


def price_of(state: State, item: dict[str, Any]) -> dict[str, Any]:
    return state.find("price", item["_price"])


def product_name(state: State, price: dict[str, Any]) -> str:
    product = state.find("product", price["product"])
    return product["name"] if product else price["product"]


def price_interval(price: dict[str, Any]) -> tuple[str, int]:
    return price["recurring"]["interval"], price["recurring"]["interval_count"]


def item_object(
    sub_id: str, price: dict[str, Any], qty: int, meta: dict, now: int, start: int, end: int
):
    return fill(
        "subscription_item",
        {
            "id": new_id("si", 14),
            "created": now,
            "current_period_end": end,
            "current_period_start": start,
            "metadata": meta,
            "quantity": qty,
            "subscription": sub_id,
            "_price": price["id"],
        },
    )


def check_price(ctx: Context, price_id: str, param: str) -> dict[str, Any]:
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


def set_period(sub: dict[str, Any], start: int, end: int) -> None:
    for item in sub["items"]["data"]:
        item["current_period_start"] = start
        item["current_period_end"] = end


def next_period_end(ctx: Context, sub: dict[str, Any], start: int) -> int:
    price = price_of(ctx.state, sub["items"]["data"][0])
    interval, count = price_interval(price)
    return add_interval(start, interval, count, anchor=start)


@route("GET", "/v1/subscription_items", PAGE | {"subscription": SCALAR})
def subscription_item_list(ctx: Context, params: dict[str, Any]):
    sub_id = get_str(params, "subscription", required=True)
    sub = ctx.get("subscription", sub_id, param="subscription", status=400)
    body = ctx.render(sub)
    rendered = {i["id"]: i for i in body["items"]["data"]}
    items = [dict(rendered[i["id"]], _seq=n) for n, i in enumerate(sub["items"]["data"])]
    page = paginate(ctx.state, items, params, f"/v1/subscription_items?subscription={sub_id}", "si")
    page["data"] = [strip(i) for i in page["data"]]
    return page
