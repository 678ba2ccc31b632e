"""An invoice's amounts, in Stripe's order: each line's own amount (quantity x unit
amount, or a proration), then the discounts taken off the lines (`discount_amounts` on a
line, `total_discount_amounts` on the invoice), then the taxes computed on the
discounted amounts (`taxes` on a line, `total_taxes` on the invoice), then the totals.

    subtotal                = the lines' amounts (inclusive taxes inside them)
    total                   = subtotal - discounts + exclusive taxes
    total_excluding_tax     = total - every tax
    subtotal_excluding_tax  = subtotal - inclusive taxes

Discounts and taxes each have a step of their own (`line_discounts`, `line_taxes`): one
module knows how a discount is taken, another how a tax is computed; this one only adds
them up.
"""

from __future__ import annotations

from typing import Any

from . import tax_rates
from .discounts import discount_lines

Lines = list[dict[str, Any]]


def line_discounts(ctx: Any, lines: Lines, *, sub: dict[str, Any], customer: dict[str, Any]):
    """Set each line's `discount_amounts` from the subscription's discounts (discounts.py:
    percent_off rounded half up per line, amount_off spread over the lines, none below
    zero; prorations are not discountable)."""
    discount_lines(ctx, lines, sub=sub, customer=customer)


def line_taxes(ctx: Any, lines: Lines, *, sub: dict[str, Any], customer: dict[str, Any]):
    """Set each line's `taxes`: Stripe Tax when the subscription has `automatic_tax`
    (tax_rates.line_taxes, with the rate table of stripe_emulator/tax.py), else none."""
    tax_rates.line_taxes(ctx, lines, sub=sub, customer=customer)


def _sum_by(entries: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Entries with the same `key` value added together, in first-seen order."""
    merged: dict[Any, dict[str, Any]] = {}
    for entry in entries:
        ident = repr(entry[key])
        if ident in merged:
            merged[ident]["amount"] += entry["amount"]
            if "taxable_amount" in entry:
                merged[ident]["taxable_amount"] += entry["taxable_amount"]
        else:
            merged[ident] = dict(entry)
    return list(merged.values())


def invoice_amounts(
    ctx: Any, lines: Lines, *, sub: dict[str, Any], customer: dict[str, Any]
) -> dict[str, Any]:
    """The invoice fields that follow from `lines` (which get their discounts and taxes)."""
    line_discounts(ctx, lines, sub=sub, customer=customer)
    line_taxes(ctx, lines, sub=sub, customer=customer)
    subtotal = sum(line["amount"] for line in lines)
    discounts = _sum_by([d for line in lines for d in line["discount_amounts"]], "discount")
    taxes = _sum_by([t for line in lines for t in line["taxes"]], "tax_rate_details")
    discounted = sum(d["amount"] for d in discounts)
    exclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    inclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "inclusive")
    total = subtotal - discounted + exclusive
    return {
        "amount_due": max(total, 0),
        "amount_remaining": max(total, 0),
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "discounts": [d["discount"] for d in discounts],
        "total": total,
        "total_discount_amounts": discounts,
        "total_excluding_tax": total - exclusive - inclusive,
        "total_taxes": taxes,
    }
