"""Renewal: at the item's current_period_end a new period starts (anchor-aligned: Jan 31 ->
Feb 28 -> Mar 31) with a subscription_cycle draft invoice, finalized and charged an
hour later (dunning.finalize); or the subscription ends there, when asked to
[OVR], [SUBWH], [B-PER], [CYCLE]."""

from __future__ import annotations

from typing import Any

from stripe_emulator.resources.base import Context
from stripe_emulator.resources.invoice_items import period_lines
from stripe_emulator.resources.invoices import FINALIZE_DELAY, invoice_create, invoice_now
from stripe_emulator.resources.periods import add_interval
from stripe_emulator.resources.prices import price_interval, price_of
from stripe_emulator.resources.subscription_items import next_period_end, set_period
from stripe_emulator.store import new_id

from .cancellation import end_as_scheduled, ends_by
from .pause_collection import collection_paused


def period_end(ctx: Context, sub: dict[str, Any]) -> None:
    item = sub["items"]["data"][0]
    start, end = item["current_period_start"], item["current_period_end"]
    if ends_by(sub, end):
        # Pending prorations stay and are collected at the period end [CANCEL].
        end_as_scheduled(ctx, sub)
        return
    customer = ctx.state.find("customer", sub["customer"])
    before = ctx.render(sub)
    interval, count = price_interval(price_of(ctx.state, item))
    new_end = add_interval(end, interval, count, anchor=sub["billing_cycle_anchor"])
    set_period(sub, end, new_end)
    invoice_id = new_id("in")
    sub["latest_invoice"] = invoice_id
    ctx.emit("customer.subscription.updated", sub, before)
    lines = sub["_pending_items"] + period_lines(ctx, sub, invoice_id, end, new_end)
    sub["_pending_items"] = []
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason="subscription_cycle",
        lines=lines,
        period_start=start,
        period_end=end,
        invoice_id=invoice_id,
    )
    if collection_paused(ctx, sub, invoice):
        return
    if sub["status"] == "unpaid":
        invoice["auto_advance"] = False  # unpaid: invoices are made but left as drafts [OVR]
    else:
        invoice["_finalize_at"] = end + FINALIZE_DELAY


def restart_period(
    ctx: Context,
    sub: dict[str, Any],
    customer: dict[str, Any],
    pending: list[dict[str, Any]],
    behavior: str,
    now: int,
) -> None:
    """A new cycle now (an update with billing_cycle_anchor=now or a price of another
    interval): the period restarts and is invoiced at once, with the pending prorations
    and `pending` (those of this update), collected per payment_behavior [CYCLE]."""
    end = next_period_end(ctx, sub, now)
    set_period(sub, now, end)
    sub["billing_cycle_anchor"] = now
    if sub["cancel_at_period_end"]:
        sub["cancel_at"] = end
    lines = sub["_pending_items"] + pending + period_lines(ctx, sub, "", now, end)
    sub["_pending_items"] = []
    invoice_now(ctx, sub, customer, lines, behavior)
