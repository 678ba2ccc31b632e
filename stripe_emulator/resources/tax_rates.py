"""Tax rates as Stripe Tax creates them (one `txr_` object per country, state, percentage
and inclusive flag, referenced by each tax on an invoice line), retrieve and list; and
each invoice line's `taxes` under automatic tax (stripe_emulator/tax.py decides the rate).

Sources: [TAX-ZERO] (a zero result still names a tax rate, with `percentage` 0),
[INV-TAX] api/invoices/object#invoice_object-total_taxes, [TAXRATE] api/tax_rates/object.
"""

from __future__ import annotations

from typing import Any

from stripe_emulator.params import SCALAR, get_bool
from stripe_emulator.store import new_id
from stripe_emulator.tax import (
    RATES,
    effective_behavior,
    invoice_automatic_tax,
    tax_amount,
    treatment,
)

from .base import PAGE, Context, listing, retrieve
from .currencies import tax_behavior_in
from .skeletons import fill


def tax_rate_for(ctx: Context, where: dict[str, Any], percentage: float, inclusive: bool):
    """The tax rate Stripe Tax uses for a location, created on first use."""
    country, state = where["country"], where.get("state")
    for rate in ctx.state.all("tax_rate"):
        if (rate["country"], rate["state"], rate["percentage"], rate["inclusive"]) == (
            country,
            state,
            percentage,
            inclusive,
        ):
            return rate
    us = country == "US"
    name = RATES.get(country, (None,))[0]
    rate = fill(
        "tax_rate",
        {
            "id": new_id("txr"),
            "country": country,
            "created": ctx.now(),
            "description": f"VAT {name}" if name else None,
            "display_name": "Sales Tax" if us else "VAT",
            "inclusive": inclusive,
            "jurisdiction": state if us and state else country,
            "jurisdiction_level": "state" if us and state else "country",
            "percentage": percentage,
            "state": state,
            "tax_type": "sales_tax" if us else "vat",
        },
    )
    return ctx.insert(rate)


def line_taxes(ctx: Context, lines: list[dict[str, Any]], *, sub: dict[str, Any], customer):
    """Each line's `taxes` when the subscription has automatic tax and the customer's
    location is known: one entry per line, computed on the line's amount after its
    discounts; inclusive tax taken out of it, exclusive tax added [INV-TAX]."""
    auto = invoice_automatic_tax(sub, customer)
    if auto["status"] != "complete":
        for line in lines:
            line["taxes"] = []
        return
    where, percentage, reason = treatment(ctx, customer)
    for line in lines:
        details = (line.get("pricing") or {}).get("price_details") or {}
        price = ctx.state.find("price", details.get("price") or "")
        own = tax_behavior_in(price, line["currency"]) if price else None
        behavior = effective_behavior(ctx, own) or "exclusive"
        discounted = sum(d["amount"] for d in line.get("discount_amounts") or [])
        tax, taxable = tax_amount(line["amount"] - discounted, percentage, behavior)
        rate = tax_rate_for(ctx, where, percentage, behavior == "inclusive")
        line["taxes"] = [
            {
                "amount": tax,
                "tax_behavior": behavior,
                "tax_rate_details": {"tax_rate": rate["id"]},
                "taxability_reason": reason,
                "taxable_amount": taxable,
                "type": "tax_rate_details",
            }
        ]


def finalize_tax(ctx: Context, invoice: dict[str, Any]) -> None:
    """At finalization: the customer's tax IDs copied onto the invoice (`customer_tax_ids`,
    no longer updated after) [INV-API]; an automatic-tax invoice whose location is not recognized
    finalizes without tax, and automatic tax is turned off on it and on its subscription
    (disabled_reason `finalization_requires_location_inputs` / `requires_location_inputs`)
    [TAX-LOC]."""
    invoice["customer_tax_ids"] = [
        {"type": t["type"], "value": t["value"]}
        for t in ctx.state.all("tax_id")
        if t["customer"] == invoice["customer"] and not t.get("_deleted")
    ]
    auto = invoice["automatic_tax"]
    if not auto["enabled"] or auto["status"] != "requires_location_inputs":
        return
    auto.update(enabled=False, disabled_reason="finalization_requires_location_inputs")
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    sub = ctx.state.find("subscription", parent.get("subscription") or "")
    if sub is not None and sub["automatic_tax"]["enabled"]:
        before = ctx.render(sub)
        sub["automatic_tax"] = {
            "disabled_reason": "requires_location_inputs",
            "enabled": False,
            "liability": sub["automatic_tax"]["liability"],
        }
        ctx.emit("customer.subscription.updated", sub, before)


retrieve("tax_rate", "/v1/tax_rates/{id}")


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    for key in ("active", "inclusive"):
        value = get_bool(params, key)
        if value is not None:
            objs = [r for r in objs if r[key] == value]
    return objs


listing(
    "tax_rate",
    "/v1/tax_rates",
    PAGE | {"active": SCALAR, "inclusive": SCALAR, "created": "any"},
    _where,
)
