"""Trials: the trial parameters of a create or update, trial_will_end three days before
the end, and the end itself: the trial converts (active, a new period and its
invoice) or, without a payment method, applies
trial_settings.end_behavior.missing_payment_method (cancel, pause, create_invoice)
[TRIALS], [PAUSE]."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid
from stripe_emulator.params import get_enum, get_int
from stripe_emulator.resources.base import Context
from stripe_emulator.resources.invoice_items import period_lines
from stripe_emulator.resources.invoices import (
    FINALIZE_DELAY,
    invoice_attempt,
    invoice_create,
    invoice_finalize,
)
from stripe_emulator.resources.payment_methods import subscription_payment_method
from stripe_emulator.resources.periods import days
from stripe_emulator.resources.subscription_items import next_period_end, set_period
from stripe_emulator.store import new_id

from .billing_anchor import anchored, prorated_lines
from .cancellation import cancel_now, ends_by
from .pause_collection import collection_paused

MISSING_PM = ("cancel", "create_invoice", "pause")
MAX_TRIAL = days(730)
TRIAL_WILL_END = days(3)


def parse_trial_end(params: dict[str, Any], now: int) -> int | str | None:
    value = params.get("trial_end")
    if value is None or value == "":
        return None
    if value == "now":
        return "now"
    trial_end = get_int(params, "trial_end")
    if trial_end <= now:
        raise invalid(
            "Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end"
        )
    if trial_end > now + MAX_TRIAL:
        raise invalid(
            "Invalid timestamp: can be no more than two years in the future.", param="trial_end"
        )
    return trial_end


def parse_create_trial(params: dict[str, Any], now: int) -> int | None:
    """A create's trial: trial_period_days or trial_end (not both); None for no trial."""
    trial_days = get_int(params, "trial_period_days", minimum=0, maximum=730)
    trial_end = parse_trial_end(params, now)
    if trial_days is not None and trial_end is not None:
        raise invalid(
            "You may only specify one of these parameters: trial_end, trial_period_days.",
            param="trial_end",
            code="parameters_exclusive",
        )
    if trial_days:
        trial_end = now + days(trial_days)
    if trial_end == "now":
        trial_end = None
    return trial_end


def apply_trial_settings(sub: dict[str, Any], params: dict[str, Any]) -> None:
    settings = (params.get("trial_settings") or {}).get("end_behavior") or {}
    target = sub["trial_settings"]["end_behavior"]
    name = "trial_settings[end_behavior]"
    if settings.get("missing_payment_method"):
        target["missing_payment_method"] = get_enum(
            settings, "missing_payment_method", MISSING_PM, name=f"{name}[missing_payment_method]"
        )
    if settings.get("billing_cycle_anchor"):
        target["billing_cycle_anchor"] = get_enum(
            settings,
            "billing_cycle_anchor",
            ("now", "unchanged"),
            name=f"{name}[billing_cycle_anchor]",
        )


def set_trial_end(ctx: Context, sub: dict[str, Any], trial_end: int, now: int) -> None:
    """An update's trial_end in the future: the trial moves there (or starts again, for a
    subscription past its trial), its period ends there."""
    sub["trial_end"] = trial_end
    sub["billing_cycle_anchor"] = trial_end
    if sub["status"] != "trialing":
        sub["status"] = "trialing"
        sub["trial_start"] = now
        set_period(sub, now, trial_end)
    else:
        for item in sub["items"]["data"]:
            item["current_period_end"] = trial_end
    if sub["cancel_at_period_end"]:
        sub["cancel_at"] = trial_end
    trial_will_end_if_near(ctx, sub, now)


def trial_will_end_if_near(ctx: Context, sub: dict[str, Any], now: int) -> None:
    """A trial set to end within 3 days gets its trial_will_end at once."""
    if sub["trial_end"] - now <= TRIAL_WILL_END:
        sub["_twe_for"] = sub["trial_end"]
        ctx.emit("customer.subscription.trial_will_end", sub)


def trial_will_end(ctx: Context, sub: dict[str, Any]) -> None:
    sub["_twe_for"] = sub["trial_end"]
    ctx.emit("customer.subscription.trial_will_end", sub)


def trial_end(ctx: Context, sub: dict[str, Any]) -> None:
    if ends_by(sub, sub["trial_end"]):
        cancel_now(ctx, sub, reason="cancellation_requested", keep_canceled_at=True)
        return
    end_trial(ctx, sub, reason="subscription_cycle", deferred=True)


def end_trial(ctx: Context, sub: dict[str, Any], *, reason: str, deferred: bool = False) -> None:
    """The trial is over now: charge a new period, or apply end_behavior without a card.

    `deferred` is the trial reaching its end by itself (docs/emulator-lifecycle.md,
    "Conversion"): the subscription goes active at once with a draft invoice that is finalized
    and charged about an hour later (the scheduler does that), and
    customer.subscription.updated is emitted here. Without it (trial_end=now
    in an update) the invoice is finalized and charged in the request and the
    caller reports the update.
    """
    customer = ctx.state.find("customer", sub["customer"])
    now = ctx.now(customer)
    before = ctx.render(sub)
    sub["trial_end"] = now
    pm = subscription_payment_method(ctx, sub)
    behavior = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
    if pm is None and behavior == "cancel":
        cancel_now(ctx, sub, reason=None, emit_before=True)
        return
    if pm is None and behavior == "pause":
        sub["status"] = "paused"
        sub["status_details"] = {
            "paused": {
                "subscription": {"type": "trial_end_without_payment_method"},
                "transitioned_at": now,
                "type": "subscription",
            }
        }
        ctx.emit("customer.subscription.paused", sub)
        ctx.emit("customer.subscription.updated", sub, before)
        if not deferred:
            sub["_emitted"] = True
        return
    invoice_id = new_id("in")
    if anchored(sub, now):  # a create's billing_cycle_anchor after the trial
        end = sub["billing_cycle_anchor"]
        lines = prorated_lines(ctx, sub, invoice_id, now, end)
    else:
        end = next_period_end(ctx, sub, now)
        sub["billing_cycle_anchor"] = now
        lines = period_lines(ctx, sub, invoice_id, now, end)
    set_period(sub, now, end)
    sub["status"] = "active"
    sub["latest_invoice"] = invoice_id
    lines = sub["_pending_items"] + lines
    sub["_pending_items"] = []
    if deferred:
        ctx.emit("customer.subscription.updated", sub, before)
    invoice = invoice_create(
        ctx,
        sub=sub,
        customer=customer,
        reason=reason,
        lines=lines,
        period_start=now,
        period_end=now,
        invoice_id=invoice_id,
    )
    if deferred:
        if not collection_paused(ctx, sub, invoice):
            invoice["_finalize_at"] = now + FINALIZE_DELAY
        return
    invoice_finalize(ctx, invoice)
    if invoice["status"] != "paid":
        status, _ = invoice_attempt(ctx, invoice, pm)
        if status != "succeeded":
            sub["status"] = "past_due"
