"""Pauses and resuming: a subscription paused at a card-less trial end (trial.py) stays
paused, with no invoices, until resumed; resuming with billing_cycle_anchor=now starts
a new period with a resumption invoice, and the subscription goes active once it is
paid (resume_on_payment_success: in the request; resume_on_payment_attempt: at the
attempt an hour later (I)) [PAUSE], [TRIALS]."""

from __future__ import annotations

from typing import Any

from stripe_emulator.resources.base import Context
from stripe_emulator.resources.invoice_items import period_lines
from stripe_emulator.resources.invoices import (
    FINALIZE_DELAY,
    invoice_attempt,
    invoice_create,
    invoice_finalize,
)
from stripe_emulator.resources.payment_methods import subscription_payment_method
from stripe_emulator.resources.subscription_items import next_period_end, set_period
from stripe_emulator.store import new_id


def resume(ctx: Context, sub: dict[str, Any], *, anchor: str, behavior: str) -> None:
    """Resume a paused subscription (POST /v1/subscriptions/{id}/resume, validated)."""
    customer = ctx.state.find("customer", sub["customer"])
    now = ctx.now(customer)
    before = ctx.render(sub)
    sub["_resume_behavior"] = behavior
    if anchor == "unchanged":
        mark_resumed(ctx, sub)
        ctx.emit("customer.subscription.updated", sub, before)
        return
    end = next_period_end(ctx, sub, now)
    set_period(sub, now, end)
    sub["billing_cycle_anchor"] = now
    invoice_id = new_id("in")
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason="subscription_update",
        lines=period_lines(ctx, sub, invoice_id, now, end),
        period_start=now,
        period_end=now,
        invoice_id=invoice_id,
    )
    sub["latest_invoice"] = invoice["id"]
    invoice_finalize(ctx, invoice)
    if invoice["status"] == "paid":
        mark_resumed(ctx, sub)
    elif behavior == "resume_on_payment_success":
        status, _ = invoice_attempt(ctx, invoice, subscription_payment_method(ctx, sub))
        if status == "succeeded":
            mark_resumed(ctx, sub)
    else:
        # Not attempted in the resume response [PAUSE]; automatic collection charges it
        # about an hour later, like other subscription invoices (I).
        invoice["next_payment_attempt"] = now + FINALIZE_DELAY
    ctx.emit("customer.subscription.updated", sub, before)


def mark_resumed(ctx: Context, sub: dict[str, Any], status: str = "active") -> None:
    sub["status"] = status
    sub["status_details"] = None
    sub.pop("_resume_behavior", None)
    ctx.emit("customer.subscription.resumed", sub)
