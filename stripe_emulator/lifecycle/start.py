"""The start: a new subscription's first invoice (`billing_reason=subscription_create`). A
trial's is a zero invoice, paid at once; without a trial the first period is charged
in the request: paid -> active, else the subscription stays incomplete (and expires
23 hours later: cancellation.expire) [OVR], [TRIALS]."""

from __future__ import annotations

from typing import Any

from stripe_emulator.resources.base import Context
from stripe_emulator.resources.invoice_items import period_lines, trial_lines
from stripe_emulator.resources.invoices import (
    invoice_attempt,
    invoice_create,
    invoice_finalize,
    invoice_payment_intent,
)

from .billing_anchor import prorated_lines, set_anchor
from .trial import trial_will_end_if_near


def first_invoice(
    ctx: Context,
    sub: dict[str, Any],
    *,
    customer: dict[str, Any],
    pm: dict[str, Any] | None,
    behavior: str,
    now: int,
    anchor: dict[str, Any] | None = None,
) -> None:
    """Invoice a subscription just created (at `now`, its start) and collect per
    payment_behavior: default_incomplete makes the payment intent without confirming it.
    `anchor` (billing_anchor.parse): the first period ends there, prorated."""
    set_anchor(sub, anchor, now)
    invoice_id = sub["latest_invoice"]
    trial_end = sub["trial_end"]
    start, end = now, sub["items"]["data"][0]["current_period_end"]
    if trial_end:
        lines = trial_lines(ctx, sub, invoice_id, start, end)
    elif anchor:
        lines = prorated_lines(ctx, sub, invoice_id, start, end)
    else:
        lines = period_lines(ctx, sub, invoice_id, start, end)
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason="subscription_create",
        lines=lines,
        period_start=now,
        period_end=now,
        invoice_id=invoice_id,
    )
    invoice_finalize(ctx, invoice)
    if trial_end:
        trial_will_end_if_near(ctx, sub, now)
    elif invoice["status"] == "paid":
        sub["status"] = "active"
    elif behavior == "default_incomplete":
        invoice_payment_intent(ctx, invoice, pm)
    else:
        status, _err = invoice_attempt(ctx, invoice, pm)
        if status == "succeeded":
            sub["status"] = "active"
