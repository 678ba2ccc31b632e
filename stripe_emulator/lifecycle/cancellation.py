"""Ending a subscription: at once (DELETE, a deleted customer, a trial without a card set
to cancel, the last failed retry), at the period end (cancel_at_period_end), or
expiring when its first invoice stays unpaid for 23 hours [OVR], [CANCEL]."""

from __future__ import annotations

from typing import Any

from stripe_emulator.resources import invoices
from stripe_emulator.resources.base import Context
from stripe_emulator.resources.invoice_items import proration_lines
from stripe_emulator.resources.prices import price_of

INCOMPLETE_WINDOW = 23 * 3600  # an unpaid first invoice expires the subscription [OVR]


def cancel_now(
    ctx: Context,
    sub: dict[str, Any],
    *,
    reason: str | None,
    prorate: bool = False,
    invoice_now: bool = False,
    emit_before: bool = False,
    keep_canceled_at: bool = False,
) -> None:
    """End the subscription now. `keep_canceled_at`: a scheduled end (cancel_at_period_end)
    keeps canceled_at at the time of the request that asked for it [SDK-sub]."""
    customer = ctx.state.find("customer", sub["customer"])
    now = ctx.now(customer)
    if prorate and sub["status"] in ("active", "past_due"):
        for item in sub["items"]["data"]:
            sub["_pending_items"] += proration_lines(
                ctx, sub, item, price_of(ctx.state, item), 0, now
            )
    if invoice_now and sub["_pending_items"]:
        invoices.invoice_now(ctx, sub, customer, sub["_pending_items"], "allow_incomplete")
    sub["_pending_items"] = []
    for invoice in ctx.state.all("invoice"):
        parent = (invoice.get("parent") or {}).get("subscription_details") or {}
        if parent.get("subscription") != sub["id"] or invoice["status"] not in ("draft", "open"):
            continue
        before_invoice = ctx.render(invoice)
        invoice["auto_advance"] = False
        if sub["status"] == "incomplete":
            invoice["status"] = "void"
            invoice["status_transitions"]["voided_at"] = now
            invoice["amount_remaining"] = 0
            ctx.emit("invoice.voided", invoice)
        ctx.emit("invoice.updated", invoice, before_invoice)
    canceled_at = sub["canceled_at"] if keep_canceled_at and sub["canceled_at"] else now
    sub.update(status="canceled", canceled_at=canceled_at, ended_at=now)
    sub["cancellation_details"]["reason"] = reason
    if sub.get("pending_setup_intent"):
        sub["pending_setup_intent"] = None
    ctx.emit("customer.subscription.deleted", sub)


def cancel_at_period_end(sub: dict[str, Any], flag: bool, now: int) -> None:
    """cancel_at_period_end=true asks for the end at the period end (canceled_at records
    the request); false undoes it."""
    sub["cancel_at_period_end"] = flag
    if flag:
        sub["canceled_at"] = now
        sub["cancel_at"] = sub["items"]["data"][0]["current_period_end"]
        sub["cancellation_details"]["reason"] = "cancellation_requested"
    else:
        sub["canceled_at"] = None
        sub["cancel_at"] = None
        sub["cancellation_details"]["reason"] = None


def ends_by(sub: dict[str, Any], moment: int) -> bool:
    """A cancellation was asked for that takes effect at or before `moment`."""
    return bool(sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= moment))


def end_as_scheduled(ctx: Context, sub: dict[str, Any]) -> None:
    """The end asked for by cancel_at_period_end: canceled_at stays the request's time, and
    pending prorations are still invoiced [CANCEL]."""
    cancel_now(
        ctx,
        sub,
        reason="cancellation_requested",
        keep_canceled_at=True,
        invoice_now=bool(sub["_pending_items"]),
    )


def expire(ctx: Context, sub: dict[str, Any]) -> None:
    """incomplete -> incomplete_expired: terminal, the open invoice voided [OVR]. Reported
    as customer.subscription.updated (Obs.: pay-rails/pay#91)."""
    now = ctx.now(sub["customer"])
    before = ctx.render(sub)
    invoice = ctx.state.find("invoice", sub["latest_invoice"] or "")
    if invoice is not None and invoice["status"] in ("open", "draft"):
        before_invoice = ctx.render(invoice)
        invoice.update(
            status="void", amount_remaining=0, auto_advance=False, next_payment_attempt=None
        )
        invoice["status_transitions"]["voided_at"] = now
        ctx.emit("invoice.voided", invoice)
        ctx.emit("invoice.updated", invoice, before_invoice)
    sub.update(status="incomplete_expired", canceled_at=now, ended_at=now)
    ctx.emit("customer.subscription.updated", sub, before)
