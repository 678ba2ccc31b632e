"""Invoice items and lines: what a subscription puts on an invoice (a line per item for
the period or the trial) and the proration items kept pending for the next invoice
(Stripe's pending invoice items; `_pending_items` on the subscription). The emulator
serves no /v1/invoiceitems endpoint: only subscriptions make invoice items."""

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
    return lines
