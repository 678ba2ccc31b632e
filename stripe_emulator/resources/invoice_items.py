"""Invoice items and lines: what a subscription puts on an invoice (a line per item for
the period or the trial), the proration items kept pending for the next invoice, and
/v1/invoiceitems (list, retrieve, create, update, delete) [II].

Each proration is an invoice item (`ii_...`, invoiceitem.created) whose line waits in
`_pending_items` on its subscription until the subscription's next invoice takes it; the
line names the item (`parent.subscription_item_details.invoice_item`). Items made with
POST /v1/invoiceitems wait (`invoice` null: pending) for the customer's next subscription
cycle invoice, or only that subscription's when `subscription` is set; `invoice` puts one
on a draft invoice at once. Pending items can be updated and deleted
(invoiceitem.deleted); once on an invoice they belong to it."""

from __future__ import annotations

from typing import Any

from stripe_emulator.store import new_id

from .base import Context
from .common import money_str
from .currencies import unit_amount_decimal_in, unit_amount_in
from .prices import price_interval, price_of, product_name
from .skeletons import fill

TIMES = "\N{MULTIPLICATION SIGN}"  # as in Stripe's "1 x Plan" line texts


def line_item(
    *,
    invoice_id: str,
    sub: dict[str, Any],
    item_id: str,
    price: dict[str, Any],
    quantity: int,
    amount: int,
    description: str,
    start: int,
    end: int,
    proration: bool = False,
) -> dict[str, Any]:
    return fill(
        "line_item",
        {
            "id": new_id("il"),
            "amount": amount,
            "currency": sub["currency"],
            "description": description,
            "discountable": not proration,
            "invoice": invoice_id,
            "parent": {
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": proration,
                    "proration_details": {"credited_items": None},
                    "subscription": sub["id"],
                    "subscription_item": item_id,
                },
                "type": "subscription_item_details",
            },
            "period": {"end": end, "start": start},
            "pricing": {
                "price_details": {"price": price["id"], "product": price["product"]},
                "type": "price_details",
                "unit_amount_decimal": unit_amount_decimal_in(price, sub["currency"]),
            },
            "quantity": quantity,
            "quantity_decimal": str(quantity),
            "subscription": sub["id"],
            "subtotal": amount,
        },
    )


def period_lines(ctx: Context, sub: dict[str, Any], invoice_id: str, start: int, end: int):
    lines = []
    for item in sub["items"]["data"]:
        price = price_of(ctx.state, item)
        name = product_name(ctx.state, price)
        qty = item["quantity"] or 0
        interval, _ = price_interval(price)
        unit = unit_amount_in(price, sub["currency"])
        lines.append(
            line_item(
                invoice_id=invoice_id,
                sub=sub,
                item_id=item["id"],
                price=price,
                quantity=qty,
                amount=unit * qty,
                description=f"{qty} {TIMES} {name} "
                f"(at {money_str(unit, sub['currency'])} / {interval})",
                start=start,
                end=end,
            )
        )
    return lines


def trial_lines(ctx: Context, sub: dict[str, Any], invoice_id: str, start: int, end: int):
    lines = []
    for item in sub["items"]["data"]:
        price = price_of(ctx.state, item)
        lines.append(
            line_item(
                invoice_id=invoice_id,
                sub=sub,
                item_id=item["id"],
                price=price,
                quantity=item["quantity"] or 0,
                amount=0,
                description=f"Trial period for {product_name(ctx.state, price)}",
                start=start,
                end=end,
            )
        )
    return lines


def proration_lines(
    ctx: Context, sub: dict[str, Any], item: dict[str, Any], new_price, new_qty, now: int
) -> list[dict[str, Any]]:
    start, end = item["current_period_start"], item["current_period_end"]
    if end <= start or now >= end:
        return []
    fraction = (end - now) / (end - start)
    old_price = price_of(ctx.state, item)
    old_qty = item["quantity"] or 0
    old_name = product_name(ctx.state, old_price)
    new_name = product_name(ctx.state, new_price)
    credit = -round(unit_amount_in(old_price, sub["currency"]) * old_qty * fraction)
    debit = round(unit_amount_in(new_price, sub["currency"]) * new_qty * fraction)
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
    for line in lines:
        proration_item(ctx, sub, line, now)
    return lines


# -- invoice items ----------------------------------------------------------------------

ITEM = "invoiceitem"


def proration_item(ctx: Context, sub: dict[str, Any], line: dict[str, Any], now: int) -> None:
    """The invoice item behind a proration line (Stripe makes prorations invoice items)."""
    details = line["parent"]["subscription_item_details"]
    customer = ctx.state.find("customer", sub["customer"])
    item = fill(
        ITEM,
        {
            "id": new_id("ii"),
            "amount": line["amount"],
            "currency": line["currency"],
            "customer": sub["customer"],
            "date": now,
            "description": line["description"],
            "discountable": False,
            "net_amount": line["amount"],
            "parent": {
                "subscription_details": {
                    "subscription": sub["id"],
                    "subscription_item": details["subscription_item"],
                },
                "type": "subscription_details",
            },
            "period": dict(line["period"]),
            "pricing": dict(line["pricing"], price_details=dict(line["pricing"]["price_details"])),
            "proration": True,
            "quantity": line["quantity"],
            "quantity_decimal": str(line["quantity"]),
            "test_clock": customer.get("test_clock") if customer else None,
        },
    )
    ctx.insert(item)
    details["invoice_item"] = item["id"]
    ctx.emit("invoiceitem.created", item)


def item_subscription(item: dict[str, Any]) -> str | None:
    parent = item["parent"] or {}
    return (parent.get("subscription_details") or {}).get("subscription")


def item_line(item: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    """The invoice line of an item made with POST /v1/invoiceitems."""
    return fill(
        "line_item",
        {
            "id": new_id("il"),
            "amount": item["amount"],
            "currency": item["currency"],
            "description": item["description"],
            "discountable": item["discountable"],
            "invoice": invoice_id,
            "metadata": dict(item["metadata"]),
            "parent": {
                "invoice_item_details": {
                    "invoice_item": item["id"],
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": item_subscription(item),
                },
                "subscription_item_details": None,
                "type": "invoice_item_details",
            },
            "period": dict(item["period"]),
            "pricing": item["pricing"],
            "quantity": item["quantity"],
            "quantity_decimal": item["quantity_decimal"],
            "subtotal": item["amount"],
        },
    )


def line_invoice_item(line: dict[str, Any]) -> str | None:
    parent = line.get("parent") or {}
    details = parent.get("subscription_item_details") or parent.get("invoice_item_details")
    return (details or {}).get("invoice_item")


def with_invoice_items(
    ctx: Context,
    lines: list[dict[str, Any]],
    customer: dict[str, Any],
    sub: dict[str, Any],
    *,
    reason: str,
    invoice_id: str,
) -> list[dict[str, Any]]:
    """A subscription invoice's lines with the pending invoice items it takes: a cycle
    invoice takes the customer's items that name no subscription or this one; every item
    whose line the invoice carries is on it from now (invoice_id)."""
    lines = list(lines)
    if reason == "subscription_cycle":
        carried = {line_invoice_item(line) for line in lines}
        for item in sorted(ctx.state.all(ITEM), key=lambda i: i["_seq"]):
            if (
                item["customer"] == customer["id"]
                and item["invoice"] is None
                and not item.get("_deleted")
                and not item["proration"]
                and item_subscription(item) in (None, sub["id"])
                and item["id"] not in carried
            ):
                lines.append(item_line(item, invoice_id))
    for line in lines:
        item = ctx.state.find(ITEM, line_invoice_item(line) or "")
        if item is not None:
            item["invoice"] = invoice_id
    return lines
