"""/v1/invoiceitems: list, retrieve, create, update and delete invoice items [II].

The items themselves (a proration's item, what an invoice takes) are in invoice_items.py.
An item made here waits (`invoice` null: pending) for the customer's next subscription
cycle invoice, or only that subscription's when `subscription` is set; `invoice` puts it
on a draft invoice at once. Pending items can be updated and deleted (a proration's line
waiting on its subscription changes with it); once on an invoice they belong to it."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid, missing_param
from stripe_emulator.params import MAP, SCALAR, get_bool, get_int, get_metadata, get_str
from stripe_emulator.store import new_id

from .base import PAGE, Context, listing, retrieve, route
from .currencies import check_customer_currency
from .invoice_amounts import invoice_amounts
from .invoice_items import ITEM, item_line, item_subscription, line_invoice_item
from .skeletons import fill

PERIOD = {"start": SCALAR, "end": SCALAR}
CREATE_SCHEMA = {
    "customer": SCALAR,
    "amount": SCALAR,
    "currency": SCALAR,
    "pricing": {"price": SCALAR},
    "quantity": SCALAR,
    "description": SCALAR,
    "discountable": SCALAR,
    "period": PERIOD,
    "subscription": SCALAR,
    "invoice": SCALAR,
    "metadata": MAP,
}
UPDATE_SCHEMA = {
    "amount": SCALAR,
    "pricing": {"price": SCALAR},
    "quantity": SCALAR,
    "description": SCALAR,
    "discountable": SCALAR,
    "period": PERIOD,
    "metadata": MAP,
}


def _price_and_amount(ctx: Context, params: dict[str, Any], item: dict[str, Any] | None):
    """(price or None, unit amount, quantity, currency) from amount/currency or
    pricing[price], and quantity (an update keeps what it does not change)."""
    quantity = get_int(params, "quantity", minimum=0)
    price_id = get_str(params.get("pricing") or {}, "price", name="pricing[price]")
    amount = get_int(params, "amount")
    if price_id and amount is not None:
        raise invalid(
            "You may only specify one of these parameters: amount, pricing[price].",
            param="amount",
            code="parameters_exclusive",
        )
    if price_id:
        price = ctx.get("price", price_id, param="pricing[price]", status=400)
        qty = quantity if quantity is not None else (item["quantity"] if item else 1)
        return price, price["unit_amount"], qty, price["currency"]
    if item is None and amount is None:
        raise missing_param("amount")
    if amount is None:  # an update that changes the quantity of a unit price
        unit = round(float(item["pricing"]["unit_amount_decimal"] or 0))
        qty = quantity if quantity is not None else item["quantity"]
        return None, unit, qty, item["currency"]
    qty = quantity if quantity is not None else 1
    if qty != 1:
        raise invalid(
            "When passing amount, quantity must be 1 (the amount is the item's total); "
            "use pricing[price] with quantity instead.",
            param="quantity",
        )
    currency = get_str(params, "currency") if item is None else item["currency"]
    if not currency:
        raise missing_param("currency")
    return None, amount, 1, currency.lower()


def _period(params: dict[str, Any], now: int, current: dict[str, int] | None):
    raw = params.get("period")
    if not raw:
        return current or {"end": now, "start": now}
    start = get_int(raw, "start", name="period[start]", required=True)
    end = get_int(raw, "end", name="period[end]", required=True)
    if end < start:
        raise invalid(
            "The end of the period must be greater than or equal to the start.",
            param="period[end]",
        )
    return {"end": end, "start": start}


def _pricing(price: dict[str, Any] | None, unit: int) -> dict[str, Any]:
    return {
        "price_details": {"price": price["id"], "product": price["product"]} if price else None,
        "type": "price_details",
        "unit_amount_decimal": str(unit),
    }


@route("POST", "/v1/invoiceitems", CREATE_SCHEMA)
def invoice_item_create(ctx: Context, params: dict[str, Any]):
    customer_id = get_str(params, "customer", required=True)
    customer = ctx.get("customer", customer_id, param="customer", status=400)
    now = ctx.now(customer)
    price, unit, qty, currency = _price_and_amount(ctx, params, None)
    sub = None
    if get_str(params, "subscription"):
        sub = ctx.get("subscription", params["subscription"], param="subscription", status=400)
        if sub["customer"] != customer["id"]:
            raise invalid(
                f"The subscription {sub['id']} does not belong to customer {customer['id']}.",
                param="subscription",
            )
    invoice = None
    if get_str(params, "invoice"):
        invoice = ctx.get("invoice", params["invoice"], param="invoice", status=400)
        if invoice["customer"] != customer["id"] or invoice["status"] != "draft":
            raise invalid(
                "You can only add invoice items to draft invoices of the same customer.",
                param="invoice",
                code="invoice_not_editable",
            )
    check_customer_currency(ctx.state, customer, currency)
    amount = unit * qty
    discountable = get_bool(params, "discountable")
    item = fill(
        ITEM,
        {
            "id": new_id("ii"),
            "amount": amount,
            "currency": currency,
            "customer": customer["id"],
            "date": now,
            "description": get_str(params, "description") or None,
            "discountable": amount >= 0 if discountable is None else discountable,
            "metadata": get_metadata(params),
            "net_amount": amount,
            "parent": {
                "subscription_details": {"subscription": sub["id"], "subscription_item": None},
                "type": "subscription_details",
            }
            if sub
            else None,
            "period": _period(params, now, None),
            "pricing": _pricing(price, unit),
            "quantity": qty,
            "quantity_decimal": str(qty),
            "test_clock": customer.get("test_clock"),
        },
    )
    ctx.insert(item)
    ctx.emit("invoiceitem.created", item)
    if invoice is not None:
        _add_to_draft(ctx, invoice, item)
    return ctx.render(item)


def _add_to_draft(ctx: Context, invoice: dict[str, Any], item: dict[str, Any]) -> None:
    """`invoice` on create: the item is a line of that draft at once (amounts again)."""
    before = ctx.render(invoice)
    item["invoice"] = invoice["id"]
    lines = invoice["lines"]["data"]
    lines.append(item_line(item, invoice["id"]))
    details = (invoice["parent"] or {}).get("subscription_details") or {}
    sub = ctx.state.find("subscription", details.get("subscription") or "") or {}
    customer = ctx.state.find("customer", invoice["customer"])
    invoice.update(invoice_amounts(ctx, lines, sub=sub, customer=customer))
    ctx.emit("invoice.updated", invoice, before)


def _pending(ctx: Context, id: str) -> dict[str, Any]:
    item = ctx.get(ITEM, id)
    if item["invoice"] is not None:
        raise invalid(
            f"The invoice item {id} is already on invoice {item['invoice']} and can no longer "
            "be changed.",
            code="invoice_not_editable",
        )
    return item


def _pending_line(ctx: Context, item: dict[str, Any]) -> dict[str, Any] | None:
    """A proration item's line, waiting on its subscription."""
    sub = ctx.state.find("subscription", item_subscription(item) or "")
    for line in (sub or {}).get("_pending_items", []):
        if line_invoice_item(line) == item["id"]:
            return line
    return None


@route("POST", "/v1/invoiceitems/{id}", UPDATE_SCHEMA)
def invoice_item_update(ctx: Context, params: dict[str, Any], id: str):
    item = _pending(ctx, id)
    now = ctx.now(item["customer"])
    if {"amount", "pricing", "quantity"} & set(params):
        price, unit, qty, _ = _price_and_amount(ctx, params, item)
        item.update(amount=unit * qty, net_amount=unit * qty, quantity=qty)
        item.update(quantity_decimal=str(qty), pricing=_pricing(price, unit))
    item["period"] = _period(params, now, item["period"])
    if "description" in params:
        item["description"] = params["description"] or None
    discountable = get_bool(params, "discountable")
    if discountable is not None:
        item["discountable"] = discountable
    item["metadata"] = get_metadata(params, item["metadata"])
    line = _pending_line(ctx, item)
    if line is not None:
        line.update(amount=item["amount"], subtotal=item["amount"], quantity=item["quantity"])
        line.update(description=item["description"], period=dict(item["period"]))
    return ctx.render(item)


@route("DELETE", "/v1/invoiceitems/{id}")
def invoice_item_delete(ctx: Context, params: dict[str, Any], id: str):
    item = _pending(ctx, id)
    line = _pending_line(ctx, item)
    if line is not None:
        sub = ctx.state.find("subscription", item_subscription(item))
        sub["_pending_items"].remove(line)
    item["_deleted"] = True
    ctx.emit("invoiceitem.deleted", item)
    return {"id": id, "object": ITEM, "deleted": True}


retrieve(ITEM, "/v1/invoiceitems/{id}")


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    customer = get_str(params, "customer")
    invoice = get_str(params, "invoice")
    pending = get_bool(params, "pending")
    if customer:
        objs = [i for i in objs if i["customer"] == customer]
    if invoice:
        objs = [i for i in objs if i["invoice"] == invoice]
    if pending is not None:
        objs = [i for i in objs if (i["invoice"] is None) == pending]
    return objs


listing(
    ITEM,
    "/v1/invoiceitems",
    PAGE | {"customer": SCALAR, "invoice": SCALAR, "pending": SCALAR, "created": "any"},
    _where,
)
