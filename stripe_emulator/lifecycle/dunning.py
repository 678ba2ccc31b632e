"""Collecting an invoice and dunning: the first automatic attempt after finalization,
retries on the custom schedule (settings["payment_retry_days"]: each retry N days
after the previous attempt), what a payment does to the subscription (past_due,
back to active, resumed), and what follows the last failed retry
(settings["after_retries"]) [OVR], [RETRY]."""

from __future__ import annotations

from typing import Any

from stripe_emulator.resources.base import Context
from stripe_emulator.resources.invoices import (
    invoice_attempt,
    invoice_finalize,
    invoice_payment_method,
)
from stripe_emulator.store import State

from .cancellation import cancel_now

AFTER_RETRIES = ("canceled", "unpaid", "past_due")


def finalize(ctx: Context, invoice: dict[str, Any]) -> None:
    invoice["_finalize_at"] = None
    invoice_finalize(ctx, invoice)
    if invoice["status"] == "open":
        collect(ctx, invoice)


def retry(ctx: Context, invoice: dict[str, Any]) -> None:
    invoice["_retries"] = invoice.get("_retries", 0) + 1
    collect(ctx, invoice)


def collect(ctx: Context, invoice: dict[str, Any]) -> None:
    """One automatic payment attempt, and what follows it for the subscription."""
    invoice["_automatic"] = True
    try:
        status, _ = invoice_attempt(ctx, invoice, invoice_payment_method(ctx, invoice))
    finally:
        invoice.pop("_automatic", None)
    settle_subscription(ctx, invoice, status)
    if status == "succeeded" or invoice["next_payment_attempt"] is not None:
        return
    if invoice.get("_retries", 0) < len(ctx.state.settings["payment_retry_days"]):
        return  # not a scheduled invoice (e.g. the first invoice of a subscription)
    sub = subscription_of(ctx.state, invoice)
    if sub is None or sub["status"] != "past_due" or sub["latest_invoice"] != invoice["id"]:
        return
    after = ctx.state.settings["after_retries"]
    if after == "canceled":
        cancel_now(ctx, sub, reason="payment_failed")
    elif after == "unpaid":
        before = ctx.render(sub)
        sub["status"] = "unpaid"
        ctx.emit("customer.subscription.updated", sub, before)


def settle_subscription(ctx: Context, invoice: dict[str, Any], status: str) -> None:
    """After a payment attempt, move the invoice's subscription as Stripe does."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    sub = ctx.state.find("subscription", details.get("subscription", ""))
    if sub is None or sub["latest_invoice"] != invoice["id"]:
        return
    before = ctx.render(sub)
    paused = sub["status"] == "paused"
    if status == "succeeded":
        if sub["status"] in ("incomplete", "past_due", "unpaid", "paused"):
            sub["status"] = "active"
    else:
        resumes_on_attempt = sub.get("_resume_behavior") == "resume_on_payment_attempt"
        if sub["status"] == "active" or (paused and resumes_on_attempt):
            sub["status"] = "past_due"
    if paused and sub["status"] != "paused":
        sub["status_details"] = None
        sub.pop("_resume_behavior", None)
        ctx.emit("customer.subscription.resumed", sub)
    ctx.emit("customer.subscription.updated", sub, before)


def subscription_of(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return state.find("subscription", details.get("subscription") or "")


def retry_at(ctx: Context, invoice: dict[str, Any]) -> int | None:
    """next_payment_attempt after a failed attempt (the state hook invoices.py calls).

    The first failure of a renewal starts the schedule; each automatic retry
    takes the next step; a manual attempt (POST /pay) leaves it as it is.
    Invoices that create a subscription are not retried (incomplete).
    """
    if invoice["billing_reason"] == "subscription_create" or not invoice["auto_advance"]:
        return None
    automatic = invoice.get("_automatic", False)
    retries = invoice.get("_retries", 0)
    if not automatic and (invoice["next_payment_attempt"] is not None or retries > 0):
        return invoice["next_payment_attempt"]
    schedule = ctx.state.settings["payment_retry_days"]
    if retries >= len(schedule):
        return None
    return ctx.now(invoice["customer"]) + round(float(schedule[retries]) * 86400)
