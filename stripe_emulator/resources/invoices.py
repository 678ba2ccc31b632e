"""Invoices: drafted by subscriptions, finalized, paid through a payment intent;
retrieve, list, their lines, and pay."""

from __future__ import annotations

import secrets
from typing import Any

from stripe_emulator.errors import StripeError, card_error, invalid
from stripe_emulator.params import SCALAR, get_bool, get_enum, get_str
from stripe_emulator.store import State, list_object, new_id, paginate, strip
from stripe_emulator.tax import invoice_automatic_tax

from .base import PAGE, Context, listing, retrieve, route
from .currencies import adopt_currency
from .invoice_amounts import invoice_amounts
from .invoice_items import with_invoice_items
from .payment_intents import REQUIRES_ACTION_MESSAGE, pi_confirm, pi_create
from .payment_methods import resolve_attached, subscription_payment_method
from .skeletons import fill
from .tax_rates import finalize_tax

FINALIZE_DELAY = 3600  # a subscription's cycle invoice stays a draft about an hour [BTEST]


def invoice_create(
    ctx: Context,
    *,
    sub: dict[str, Any],
    customer: dict[str, Any],
    reason: str,
    lines: list[dict[str, Any]],
    period_start: int,
    period_end: int,
    invoice_id: str | None = None,
) -> dict[str, Any]:
    """A draft invoice for a subscription; `lines` are built by line_item()."""
    now = ctx.now(customer)
    invoice_id = invoice_id or new_id("in")
    lines = with_invoice_items(ctx, lines, customer, sub, reason=reason, invoice_id=invoice_id)
    for line in lines:
        line["invoice"] = invoice_id
    address = customer.get("address")
    invoice = fill(
        "invoice",
        {
            "id": invoice_id,
            "automatic_tax": invoice_automatic_tax(sub, customer),
            "billing_reason": reason,
            "created": now,
            "currency": sub["currency"],
            "customer": customer["id"],
            "customer_address": dict(address) if address else None,
            "customer_email": customer.get("email"),
            "customer_name": customer.get("name"),
            "customer_phone": customer.get("phone"),
            "customer_tax_exempt": customer.get("tax_exempt", "none"),
            "lines": list_object(lines, f"/v1/invoices/{invoice_id}/lines"),
            "parent": {
                "quote_details": None,
                "subscription_details": {
                    "metadata": dict(sub["metadata"]),
                    "subscription": sub["id"],
                    "subscription_proration_date": None,
                },
                "type": "subscription_details",
            },
            "payments": list_object([], f"/v1/invoice_payments?invoice={invoice_id}"),
            "period_end": period_end,
            "period_start": period_start,
            "starting_balance": customer.get("balance") or 0,
            "test_clock": customer.get("test_clock"),
            "_pi": None,
            **invoice_amounts(ctx, lines, sub=sub, customer=customer),
        },
    )
    ctx.insert(invoice)
    adopt_currency(customer, invoice["currency"])
    ctx.emit("invoice.created", invoice)
    return invoice


def invoice_finalize(ctx: Context, invoice: dict[str, Any]) -> None:
    """draft -> open: number, hosted URL, customer balance applied; 0 due -> paid."""
    customer = ctx.state.find("customer", invoice["customer"])
    finalize_tax(ctx, invoice)
    now = ctx.now(customer)
    before_customer = ctx.render(customer)
    balance = customer.get("balance") or 0
    total = invoice["total"]
    applied = min(-balance, total) if balance < 0 and total > 0 else 0
    if total < 0:
        ending = balance + total
        due = 0
    else:
        ending = balance + applied
        due = total - applied
    customer["balance"] = ending
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    token = secrets.token_urlsafe(24)
    invoice.update(
        status="open",
        number=f"{customer['invoice_prefix']}-{sequence:04d}",
        amount_due=due,
        amount_remaining=due,
        starting_balance=balance,
        ending_balance=ending,
        effective_at=now,
        hosted_invoice_url=f"https://invoice.stripe.com/i/acct_emulator/test_{token}",
        invoice_pdf=f"https://pay.stripe.com/invoice/acct_emulator/test_{token}/pdf",
        webhooks_delivered_at=now,
    )
    invoice["status_transitions"]["finalized_at"] = now
    if ending != balance:
        ctx.emit("customer.updated", customer, before_customer)
    ctx.emit("invoice.finalized", invoice)
    if due == 0:
        invoice_mark_paid(ctx, invoice)


def invoice_mark_paid(ctx: Context, invoice: dict[str, Any]) -> None:
    now = ctx.now(invoice["customer"])
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        next_payment_attempt=None,
        confirmation_secret=None,
    )
    invoice["status_transitions"]["paid_at"] = now
    for payment in invoice["payments"]["data"]:
        if payment["status"] == "open":
            payment["status"] = "paid"
            payment["amount_paid"] = payment["amount_requested"]
            payment["status_transitions"]["paid_at"] = now
            ctx.emit("invoice_payment.paid", payment)
    ctx.emit("invoice.paid", invoice)
    ctx.emit("invoice.payment_succeeded", invoice)


def invoice_payment_intent(ctx: Context, invoice: dict[str, Any], pm: dict[str, Any] | None):
    """The invoice's default payment (a PaymentIntent), made at the first attempt."""
    if invoice["_pi"]:
        return ctx.state.find("payment_intent", invoice["_pi"])
    customer = ctx.state.find("customer", invoice["customer"])
    reason = invoice["billing_reason"]
    pi = pi_create(
        ctx,
        amount=invoice["amount_due"],
        currency=invoice["currency"],
        customer=customer,
        pm=pm,
        description="Subscription creation"
        if reason == "subscription_create"
        else "Subscription update",
    )
    invoice["_pi"] = pi["id"]
    invoice["confirmation_secret"] = {
        "client_secret": pi["client_secret"],
        "type": "payment_intent",
    }
    now = ctx.now(customer)
    invoice["payments"]["data"].append(
        fill(
            "invoice_payment",
            {
                "id": new_id("inpay"),
                "amount_requested": invoice["amount_due"],
                "created": now,
                "currency": invoice["currency"],
                "invoice": invoice["id"],
                "payment": {
                    "charge": None,
                    "payment_intent": pi["id"],
                    "payment_record": None,
                    "type": "payment_intent",
                },
            },
        )
    )
    return pi


def invoice_attempt(
    ctx: Context, invoice: dict[str, Any], pm: dict[str, Any] | None
) -> tuple[str, StripeError | None]:
    """Charge an open invoice: (succeeded|declined|requires_action|no_payment_method, error)."""
    if invoice["status"] != "open":
        raise invalid(f"Invoice is already {invoice['status']}.", code="invoice_not_editable")
    if invoice["amount_due"] == 0:
        invoice_mark_paid(ctx, invoice)
        return "succeeded", None
    before = ctx.render(invoice)
    pi = invoice_payment_intent(ctx, invoice, pm)
    invoice["attempted"] = True
    invoice["attempt_count"] += 1
    if pm is None:
        err = invalid(
            "This customer has no attached payment source or default payment method. Please "
            "consider adding a default payment method.",
            code="resource_missing",
        )
        _schedule_retry(ctx, invoice)
        ctx.emit("invoice.payment_failed", invoice)
        ctx.emit("invoice.updated", invoice, before)
        return "no_payment_method", err
    status, err = pi_confirm(ctx, pi, pm)
    if status == "succeeded":
        invoice_mark_paid(ctx, invoice)
        ctx.emit("invoice.updated", invoice, before)
        return status, None
    _schedule_retry(ctx, invoice)
    if status == "requires_action":
        ctx.emit("invoice.payment_action_required", invoice)
        ctx.emit("invoice.updated", invoice, before)
        err = card_error(
            REQUIRES_ACTION_MESSAGE,
            code="invoice_payment_intent_requires_action",
            payment_intent=ctx.render(pi),
        )
        return status, err
    ctx.emit("invoice.payment_failed", invoice)
    ctx.emit("invoice.updated", invoice, before)
    return status, err


def invoice_now(ctx, sub, customer, lines, behavior: str) -> None:
    """Invoice `lines` at once (always_invoice, a new cycle) and collect per payment_behavior."""
    now = ctx.now(customer)
    invoice_id = new_id("in")
    for line in lines:
        line["invoice"] = invoice_id
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason="subscription_update",
        lines=lines,
        period_start=now,
        period_end=now,
        invoice_id=invoice_id,
    )
    sub["latest_invoice"] = invoice["id"]
    invoice_finalize(ctx, invoice)
    if invoice["status"] == "paid":
        return
    pm = subscription_payment_method(ctx, sub)
    if behavior == "default_incomplete":
        invoice_payment_intent(ctx, invoice, pm)
        sub["status"] = "past_due"
        return
    status, _ = invoice_attempt(ctx, invoice, pm)
    if status != "succeeded" and sub["status"] == "active":
        sub["status"] = "past_due"


def _schedule_retry(ctx: Context, invoice: dict[str, Any]) -> None:
    """next_payment_attempt after a failed attempt, from the retry schedule (scheduler.py)."""
    retry_at = ctx.state.hooks.get("retry_at")
    invoice["next_payment_attempt"] = retry_at(ctx, invoice) if retry_at else None


def invoice_payment_method(ctx: Context, invoice: dict[str, Any]) -> dict[str, Any] | None:
    """Stripe's order: subscription default, then customer invoice default."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    sub = ctx.state.find("subscription", details.get("subscription", ""))
    customer = ctx.state.find("customer", invoice["customer"])
    for pm_id in (
        invoice.get("default_payment_method"),
        sub and sub.get("default_payment_method"),
        customer["invoice_settings"]["default_payment_method"],
    ):
        if pm_id:
            pm = ctx.state.find("payment_method", pm_id)
            if pm is not None and pm["customer"] == customer["id"]:
                return pm
    return None


def render_invoice(state: State, invoice: dict[str, Any]) -> dict[str, Any]:
    return strip(invoice)


retrieve("invoice", "/v1/invoices/{id}")


@route("GET", "/v1/invoices/{id}/lines", PAGE)
def invoice_lines(ctx: Context, params: dict[str, Any], id: str):
    invoice = ctx.get("invoice", id)
    lines = [dict(line, _seq=i) for i, line in enumerate(invoice["lines"]["data"])]
    return paginate(ctx.state, lines, params, f"/v1/invoices/{id}/lines", "line_item")


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    customer = get_str(params, "customer")
    subscription = get_str(params, "subscription")
    if customer:
        objs = [i for i in objs if i["customer"] == customer]
    if subscription:
        objs = [
            i
            for i in objs
            if ((i["parent"] or {}).get("subscription_details") or {}).get("subscription")
            == subscription
        ]
    if not (customer or subscription):
        objs = [i for i in objs if not i["test_clock"]]
    status = get_enum(params, "status", ("draft", "open", "paid", "uncollectible", "void"))
    if status:
        objs = [i for i in objs if i["status"] == status]
    return objs


listing(
    "invoice",
    "/v1/invoices",
    PAGE
    | {
        "customer": SCALAR,
        "subscription": SCALAR,
        "status": SCALAR,
        "collection_method": SCALAR,
        "created": "any",
    },
    _where,
)


@route(
    "POST",
    "/v1/invoices/{id}/pay",
    {
        "payment_method": SCALAR,
        "off_session": SCALAR,
        "paid_out_of_band": SCALAR,
        "forgive": SCALAR,
        "source": SCALAR,
        "mandate": SCALAR,
    },
)
def invoice_pay(ctx: Context, params: dict[str, Any], id: str):
    invoice = ctx.get("invoice", id)
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid.")
    if invoice["status"] != "open":
        raise invalid(
            f"You can only pay an open invoice. This invoice is {invoice['status']}.",
            code="invoice_not_editable" if invoice["status"] == "draft" else None,
        )
    # Imported here: the dunning lifecycle builds on this module.
    from stripe_emulator.lifecycle.dunning import settle_subscription

    customer = ctx.state.find("customer", invoice["customer"])
    if get_bool(params, "paid_out_of_band"):
        before = ctx.render(invoice)
        invoice["amount_paid_off_stripe"] = invoice["amount_remaining"]
        invoice_mark_paid(ctx, invoice)
        ctx.emit("invoice.updated", invoice, before)
        settle_subscription(ctx, invoice, "succeeded")
        return ctx.render(invoice)
    pm_id = get_str(params, "payment_method")
    if pm_id:
        pm = resolve_attached(ctx, pm_id, customer, param="payment_method")
    else:
        pm = invoice_payment_method(ctx, invoice)
    status, err = invoice_attempt(ctx, invoice, pm)
    settle_subscription(ctx, invoice, status)
    if err is not None:
        if status == "no_payment_method":
            raise err
        raise err
    return ctx.render(invoice)
