"""Subscription items: a subscription's prices and quantities, and their billing period
(since the `basil` API version the period sits on each item)."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid, missing_param
from stripe_emulator.params import SCALAR, get_bool, get_int, get_metadata, get_str
from stripe_emulator.store import State, new_id, paginate, strip

from .base import PAGE, Context, route
from .currencies import has_currency
from .invoice_items import proration_lines
from .periods import add_interval
from .prices import plan_from_price, price_interval, price_of
from .skeletons import fill


def render_items(state: State, sub: dict[str, Any], body: dict[str, Any]) -> None:
    """Fill a rendered subscription's items with their price and legacy plan."""
    for raw, item in zip(sub["items"]["data"], body["items"]["data"], strict=True):
        del item["_price"]
        price = state.find("price", raw["_price"])
        item["price"] = strip(price)
        item["plan"] = plan_from_price(price)


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


def parse_new_items(ctx: Context, items: Any) -> list[tuple[dict[str, Any], int, dict]]:
    """A create's items, validated: (price, quantity, metadata) each, all the prices in one
    interval (their currency: currencies.subscription_currency)."""
    if not items:
        raise missing_param("items")
    resolved = []
    for i, raw in enumerate(items):
        name = f"items[{i}][price]"
        price = check_price(ctx, get_str(raw, "price", name=name, required=True), name)
        qty = get_int(raw, "quantity", name=f"items[{i}][quantity]", minimum=0)
        resolved.append(
            (price, 1 if qty is None else qty, get_metadata(raw, name=f"items[{i}][metadata]"))
        )
    first = resolved[0][0]
    for i, (price, _, _) in enumerate(resolved):
        if price_interval(price) != price_interval(first):
            raise invalid(
                "Currency and interval fields must match across all plans on this subscription.",
                param=f"items[{i}][price]",
            )
    return resolved


Change = tuple[dict[str, Any] | None, dict[str, Any] | None, int | None, bool, Any]


def parse_item_changes(ctx: Context, sub: dict[str, Any], params: dict[str, Any]) -> list[Change]:
    """An update's `items`, validated before anything changes: (item or None for a new
    one, price, quantity, deleted, metadata) each."""
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
        if price is not None and not has_currency(price, sub["currency"]):
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
    return changes


def apply_item_changes(
    ctx: Context,
    sub: dict[str, Any],
    changes: list[Change],
    *,
    prorate: bool,
    interval_change: bool,
    now: int,
) -> list[dict[str, Any]]:
    """Apply validated changes; returns the proration lines they make (when `prorate`)."""
    pending: list[dict[str, Any]] = []
    for item, price, qty, deleted, meta in changes:
        if deleted and item is not None:
            if prorate:
                pending += proration_lines(ctx, sub, item, price_of(ctx.state, item), 0, now)
            sub["items"]["data"].remove(item)
            continue
        if item is None:
            start = sub["items"]["data"][0]["current_period_start"]
            end = sub["items"]["data"][0]["current_period_end"]
            new = item_object(
                sub["id"], price, 1 if qty is None else qty, meta or {}, now, start, end
            )
            if prorate and not interval_change:
                zero = dict(new, quantity=0)
                pending += proration_lines(ctx, sub, zero, price, new["quantity"], now)
            sub["items"]["data"].append(new)
            continue
        new_price = price or price_of(ctx.state, item)
        new_qty = item["quantity"] if qty is None else qty
        if prorate:
            lines = proration_lines(ctx, sub, item, new_price, new_qty, now)
            if interval_change:  # the new period is billed in full: keep only the credit
                lines = [line for line in lines if line["amount"] < 0]
            pending += lines
        item["_price"] = new_price["id"]
        item["quantity"] = new_qty
        if meta is not None:
            item["metadata"] = get_metadata({"metadata": meta}, item["metadata"])
    return pending


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
