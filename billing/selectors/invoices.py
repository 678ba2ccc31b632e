"""Invoices and their payments, read from Stripe (the source of truth)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accounts.models import User
from billing import gateway
from billing.gateway import from_unix
from billing.models import Customer, Subscription, SubscriptionStatus
from billing.money import money_display
from config.errors import ApplicationError


@dataclass(frozen=True)
class InvoicePage:
    results: list[dict[str, Any]]
    next: str | None


INVOICE_CURSOR = re.compile(r"^in_[A-Za-z0-9]{1,250}$")
# The amounts of an invoice that get a `<name>_display` beside them.
DISPLAYED = ("subtotal", "tax", "total", "amount_due", "amount_paid")


def invoice_amounts(invoice: dict[str, Any]) -> dict[str, Any]:
    """What an invoice charges, as the reader's invoice shows it, in minor units of its
    currency: `subtotal` (net: after discounts, without tax), `tax` (Stripe Tax's,
    included in the price or added to it), `total` (= subtotal + tax), and whether the
    tax was reverse charged (a business reader's VAT number: zero tax, the reader
    accounts for it)."""
    taxes = invoice.get("total_taxes") or []
    tax = sum(int(entry.get("amount") or 0) for entry in taxes)
    total = int(invoice.get("total") or 0)
    net = invoice.get("total_excluding_tax")
    return {
        "currency": invoice.get("currency"),
        "subtotal": int(net) if net is not None else total - tax,
        "tax": tax,
        "total": total,
        "reverse_charge": any(
            entry.get("taxability_reason") == "reverse_charge" for entry in taxes
        ),
    }


def amounts_display(
    amounts: dict[str, Any], *, currency: str, country: str | None
) -> dict[str, str]:
    """`<name>_display` for each amount in `amounts` (DISPLAYED), written for a reader in
    `country` (billing.money.money_display: 999 EUR in DE is "9,99 €")."""
    return {
        f"{name}_display": money_display(int(amounts[name]), currency, country=country)
        for name in DISPLAYED
        if amounts.get(name) is not None and currency
    }


def invoice_list_for_user(*, user: User, cursor: str = "", limit: int = 20) -> InvoicePage:
    """The reader's invoices, newest first, read from Stripe (the source of truth)."""
    if cursor and not INVOICE_CURSOR.match(cursor):
        raise ApplicationError(
            "The cursor is not valid.", code="invalid_cursor", fields={"cursor": ["Not valid."]}
        )
    customer = Customer.objects.filter(user=user).first()
    if customer is None:
        return InvoicePage(results=[], next=None)
    page = gateway.invoice_list(
        customer_id=customer.stripe_customer_id, limit=limit, starting_after=cursor
    )
    data = list(page["data"])
    country = customer.country or None
    results = [_invoice_row(inv, country=country) for inv in data]
    has_more = bool(page.get("has_more"))
    return InvoicePage(results=results, next=data[-1]["id"] if has_more and data else None)


def _invoice_row(inv: dict[str, Any], *, country: str | None) -> dict[str, Any]:
    amounts = invoice_amounts(inv)
    shown = {**amounts, "amount_due": inv.get("amount_due"), "amount_paid": inv.get("amount_paid")}
    return {
        "id": inv["id"],
        "number": inv.get("number"),
        "amount_due": inv.get("amount_due"),
        "amount_paid": inv.get("amount_paid"),
        "discount_amount": sum(
            int(d.get("amount") or 0) for d in inv.get("total_discount_amounts") or []
        ),
        **amounts,
        **amounts_display(shown, currency=str(inv.get("currency") or ""), country=country),
        "status": inv.get("status"),
        "period_start": from_unix(inv.get("period_start")),
        "period_end": from_unix(inv.get("period_end")),
        "hosted_invoice_url": inv.get("hosted_invoice_url"),
        "created": from_unix(inv.get("created")),
    }


def payment_intent_in(invoice: dict[str, Any]) -> Any:
    """The invoice's payment intent, an id or (expanded) an object; since Basil it sits
    under invoice.payments."""
    for payment in (invoice.get("payments") or {}).get("data") or []:
        intent = (payment.get("payment") or {}).get("payment_intent")
        if intent:
            return intent
    return None


def invoice_payment_intent(*, invoice_id: str) -> dict[str, Any] | None:
    """The payment intent of an invoice, as Stripe has it now."""
    invoice = gateway.invoice_retrieve(
        invoice_id=invoice_id, expand=["payments.data.payment.payment_intent"]
    )
    intent = payment_intent_in(invoice)
    return intent if isinstance(intent, dict) else None


def subscription_client_secret(*, subscription: Subscription) -> str:
    """The client secret Stripe.js needs to finish an incomplete subscription's payment."""
    if subscription.status != SubscriptionStatus.INCOMPLETE or not subscription.latest_invoice_id:
        return ""
    intent = invoice_payment_intent(invoice_id=subscription.latest_invoice_id)
    return payment_intent_client_secret(intent=intent) or ""


def payment_intent_client_secret(*, intent: dict[str, Any] | None) -> str | None:
    """The client secret when the payment waits on the reader's authentication (Stripe.js
    finishes it), else None: a payment that needs no action, or was declined."""
    if intent is None or intent.get("status") != "requires_action":
        return None
    return str(intent.get("client_secret") or "")
