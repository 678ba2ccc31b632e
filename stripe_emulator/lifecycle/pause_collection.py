"""Pausing payment collection (`pause_collection` on a subscription update) [PAUSEPAY].

Not the other pause (pause.py: a trial ending without a payment method, status
`paused`): here the subscription stays as it is (`active`) and its renewals still make
invoices, but Stripe collects nothing:

- keep_as_draft: the invoice stays a draft with auto_advance false (never finalized
  or charged by Stripe);
- mark_uncollectible: the invoice is finalized and marked uncollectible at once (I);
- void: the invoice is finalized and voided at once (I).

`pause_collection[resumes_at]` resumes collection by itself at that moment (the
scheduler reads it from the subscription: `resume_collection`), as does an update with
`pause_collection=""`; either way pause_collection becomes null, reported as
customer.subscription.updated, and the next renewal is charged as usual.
"""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid
from stripe_emulator.params import SCALAR, get_enum, get_int
from stripe_emulator.resources.base import Context
from stripe_emulator.resources.invoices import invoice_finalize

BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")
NAME = "pause_collection"


SCHEMA = {NAME: {"behavior": SCALAR, "resumes_at": SCALAR}}  # on subscription update


def update(sub: dict[str, Any], params: dict[str, Any], now: int) -> None:
    """A subscription update's pause_collection: validated, then set (the update reports
    the change). Called before the update changes anything else."""
    value = parse_pause_collection(params, now)
    if value is not None:
        sub[NAME] = value or None


def parse_pause_collection(params: dict[str, Any], now: int) -> dict[str, Any] | str | None:
    """An update's pause_collection, validated: None (not given), "" (resume collection),
    or the new {behavior, resumes_at}."""
    value = params.get(NAME)
    if value is None:
        return None
    if value == "":
        return ""
    behavior = get_enum(value, "behavior", BEHAVIORS, name=f"{NAME}[behavior]", required=True)
    resumes_at = get_int(value, "resumes_at", name=f"{NAME}[resumes_at]")
    if resumes_at is not None and resumes_at <= now:
        raise invalid(
            "Invalid timestamp: must be an integer Unix timestamp in the future.",
            param=f"{NAME}[resumes_at]",
        )
    return {"behavior": behavior, "resumes_at": resumes_at}


def resumes_at(sub: dict[str, Any]) -> int | None:
    """When collection resumes by itself (the scheduler's `resume_collection`)."""
    paused = sub.get(NAME)
    if not paused or sub["status"] in ("canceled", "incomplete_expired"):
        return None
    return paused["resumes_at"]


def resume_collection(ctx: Context, sub: dict[str, Any]) -> None:
    """resumes_at has come: collection resumes, the next renewal is charged."""
    before = ctx.render(sub)
    sub[NAME] = None
    ctx.emit("customer.subscription.updated", sub, before)


def collection_paused(ctx: Context, sub: dict[str, Any], invoice: dict[str, Any]) -> bool:
    """A cycle invoice just drafted: with collection paused, apply the pause's behavior to
    it and return True (the caller then schedules no collection)."""
    paused = sub.get(NAME)
    if not paused:
        return False
    invoice["auto_advance"] = False
    invoice["_finalize_at"] = None
    behavior = paused["behavior"]
    if behavior == "keep_as_draft":
        return True
    invoice_finalize(ctx, invoice)
    if invoice["status"] != "open":
        return True  # nothing was due (paid at finalization)
    now = ctx.now(invoice["customer"])
    before = ctx.render(invoice)
    invoice["next_payment_attempt"] = None
    if behavior == "mark_uncollectible":
        invoice["status"] = "uncollectible"
        invoice["status_transitions"]["marked_uncollectible_at"] = now
        ctx.emit("invoice.marked_uncollectible", invoice)
    else:
        invoice.update(status="void", amount_remaining=0)
        invoice["status_transitions"]["voided_at"] = now
        ctx.emit("invoice.voided", invoice)
    ctx.emit("invoice.updated", invoice, before)
    return True
