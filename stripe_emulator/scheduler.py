"""Stripe's sense of time: the transitions that fall due as time passes.

Nothing is stored as a job: what is due is read from the objects themselves
(a trialing subscription's trial_end, a draft invoice's finalization time, an
open invoice's next_payment_attempt, an item's current_period_end), so state
saved with --state resumes exactly. Time moves three ways:

- POST /_emulator/clock/advance {"seconds": N}: the emulator clock, for every
  object not on a test clock; runs every transition due up to now+N, in time
  order, each at its own moment (the clock is pinned to it), then returns;
- POST /v1/test_helpers/test_clocks/{id}/advance: the same for the objects of
  one test clock, in the background (the clock is `advancing`, then `ready`);
- real time: a ticker runs what falls due as the wall clock moves (a draft
  invoice an hour old in a long demo).

Transitions (docs/emulator-lifecycle.md; (I) where it infers):
- trial_will_end: 3 days before trial_end (at once for shorter trials, done
  when the trial is set);
- trial_end: cancel_at_period_end -> canceled; else the trial converts (active,
  draft invoice finalized and charged an hour later) or applies
  missing_payment_method (cancel, pause, create_invoice);
- finalize: draft -> open, then the first automatic attempt;
- attempt: a retry at next_payment_attempt (custom schedule: each retry N days
  after the previous attempt; settings["payment_retry_days"]); after the last
  one fails the subscription becomes settings["after_retries"];
- period_end: cancel_at_period_end -> canceled at the period end; else the
  renewal: item periods move, a subscription_cycle draft invoice (not
  attempted while the subscription is unpaid);
- expire: an incomplete subscription 23 h after creation -> incomplete_expired,
  its invoice voided.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any

from .errors import invalid
from .resources.base import Context
from .resources.payments import (
    invoice_attempt,
    invoice_create,
    invoice_finalize,
    invoice_payment_method,
    settle_subscription,
)
from .resources.periods import add_interval, days
from .resources.subscriptions import (
    FINALIZE_DELAY,
    TRIAL_WILL_END,
    _interval,
    _period_lines,
    _price_of,
    _set_period,
    cancel_now,
    end_trial,
)
from .store import State, new_id

if TYPE_CHECKING:
    from .webhooks import Deliveries

log = logging.getLogger("stripe_emulator.scheduler")

CLOCK = "test_helpers.test_clock"
MAX_TRANSITIONS = 100_000
AFTER_RETRIES = ("canceled", "unpaid", "past_due")

# Order of transitions falling due at the same second.
PRIORITY = {
    "trial_will_end": 0,
    "trial_end": 1,
    "finalize": 2,
    "attempt": 3,
    "period_end": 4,
    "expire": 5,
}
INCOMPLETE_WINDOW = 23 * 3600  # an unpaid first invoice expires the subscription [OVR]


# -- what is due ---------------------------------------------------------------


def _due(state: State, scope: str | None, until: int) -> tuple[int, int, int, str, Any] | None:
    """The earliest transition due at or before `until` for objects of `scope`
    (a test clock id, or None for the emulator clock)."""
    best: tuple[int, int, int, str, Any] | None = None

    def consider(at: int, kind: str, obj: dict[str, Any]) -> None:
        nonlocal best
        if at > until:
            return
        key = (at, PRIORITY[kind], obj["_seq"], kind, obj)
        if best is None or key[:3] < best[:3]:
            best = key

    for sub in state.table("subscription").values():
        if sub.get("test_clock") != scope:
            continue
        status = sub["status"]
        if status == "trialing" and sub["trial_end"]:
            trial_end = sub["trial_end"]
            if sub.get("_twe_for") != trial_end:
                consider(trial_end - TRIAL_WILL_END, "trial_will_end", sub)
            consider(trial_end, "trial_end", sub)
        elif status in ("active", "past_due", "unpaid"):
            consider(sub["items"]["data"][0]["current_period_end"], "period_end", sub)
        elif status == "incomplete":
            consider(sub["created"] + INCOMPLETE_WINDOW, "expire", sub)
    for invoice in state.table("invoice").values():
        if invoice.get("test_clock") != scope or not invoice["auto_advance"]:
            continue
        if invoice["status"] == "draft" and invoice.get("_finalize_at"):
            consider(invoice["_finalize_at"], "finalize", invoice)
        elif invoice["status"] == "open" and invoice["next_payment_attempt"]:
            consider(invoice["next_payment_attempt"], "attempt", invoice)
    return best


# -- the transitions -------------------------------------------------------------


def _trial_will_end(ctx: Context, sub: dict[str, Any]) -> None:
    sub["_twe_for"] = sub["trial_end"]
    ctx.emit("customer.subscription.trial_will_end", sub)


def _trial_end(ctx: Context, sub: dict[str, Any]) -> None:
    if sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= sub["trial_end"]):
        cancel_now(ctx, sub, reason="cancellation_requested", keep_canceled_at=True)
        return
    end_trial(ctx, sub, reason="subscription_cycle", deferred=True)


def _finalize(ctx: Context, invoice: dict[str, Any]) -> None:
    invoice["_finalize_at"] = None
    invoice_finalize(ctx, invoice)
    if invoice["status"] == "open":
        _collect(ctx, invoice)


def _attempt(ctx: Context, invoice: dict[str, Any]) -> None:
    invoice["_retries"] = invoice.get("_retries", 0) + 1
    _collect(ctx, invoice)


def _collect(ctx: Context, invoice: dict[str, Any]) -> None:
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
    sub = _subscription_of(ctx.state, invoice)
    if sub is None or sub["status"] != "past_due" or sub["latest_invoice"] != invoice["id"]:
        return
    after = ctx.state.settings["after_retries"]
    if after == "canceled":
        cancel_now(ctx, sub, reason="payment_failed")
    elif after == "unpaid":
        before = ctx.render(sub)
        sub["status"] = "unpaid"
        ctx.emit("customer.subscription.updated", sub, before)


def _period_end(ctx: Context, sub: dict[str, Any]) -> None:
    item = sub["items"]["data"][0]
    start, end = item["current_period_start"], item["current_period_end"]
    if sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= end):
        # Pending prorations stay and are collected at the period end [CANCEL].
        cancel_now(
            ctx,
            sub,
            reason="cancellation_requested",
            keep_canceled_at=True,
            invoice_now=bool(sub["_pending_items"]),
        )
        return
    customer = ctx.state.find("customer", sub["customer"])
    before = ctx.render(sub)
    interval, count = _interval(_price_of(ctx.state, item))
    new_end = add_interval(end, interval, count, anchor=sub["billing_cycle_anchor"])
    _set_period(sub, end, new_end)
    invoice_id = new_id("in")
    sub["latest_invoice"] = invoice_id
    ctx.emit("customer.subscription.updated", sub, before)
    lines = sub["_pending_items"] + _period_lines(ctx, sub, invoice_id, end, new_end)
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
    if sub["status"] == "unpaid":
        invoice["auto_advance"] = False  # unpaid: invoices are made but left as drafts [OVR]
    else:
        invoice["_finalize_at"] = end + FINALIZE_DELAY


def _expire(ctx: Context, sub: dict[str, Any]) -> None:
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


ACTIONS = {
    "expire": _expire,
    "trial_will_end": _trial_will_end,
    "trial_end": _trial_end,
    "finalize": _finalize,
    "attempt": _attempt,
    "period_end": _period_end,
}


def _subscription_of(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return state.find("subscription", details.get("subscription") or "")


def retry_at(ctx: Context, invoice: dict[str, Any]) -> int | None:
    """next_payment_attempt after a failed attempt (the state hook payments.py calls).

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


# -- running them ------------------------------------------------------------------


class Scheduler:
    """Runs due transitions: on advance, for test clocks, and as real time passes."""

    def __init__(self, state: State, deliveries: Deliveries, tick: float = 0.5) -> None:
        self.state = state
        self.deliveries = deliveries
        self.tick = tick
        self._jobs: list[tuple[str, int]] = []  # test clocks to advance: (clock id, target)
        self._cond = threading.Condition()
        self._busy = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="stripe-scheduler", daemon=True)
        state.hooks["retry_at"] = retry_at

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def clear(self) -> None:
        with self._cond:
            self._jobs.clear()

    # -- under state.lock -----------------------------------------------------
    def run_due(self, scope: str | None, until: int) -> list[dict[str, Any]]:
        """Run every transition of `scope` due at or before `until`, in time order."""
        state = self.state
        ran: list[dict[str, Any]] = []
        clock = state.find(CLOCK, scope) if scope else None
        floor = clock["frozen_time"] if clock else state.clock.now()
        try:
            for _ in range(MAX_TRANSITIONS):
                due = _due(state, scope, until)
                if due is None:
                    break
                at, _, _, kind, obj = due
                floor = max(floor, at)
                if clock is not None:
                    clock["frozen_time"] = floor
                else:
                    state.clock.pin(floor)
                ACTIONS[kind](Context(state, None, None), obj)
                ran.append({"at": at, "transition": kind, "object": obj["id"]})
                again = _due(state, scope, until)
                if again is not None and again[0] == at and again[3] == kind and again[4] is obj:
                    log.error("transition %s on %s did not progress", kind, obj["id"])
                    break
        finally:
            if clock is None:
                state.clock.pin(None)
        return ran

    def advance(self, seconds: int) -> dict[str, Any]:
        """POST /_emulator/clock/advance: move the emulator clock, run what falls due."""
        with self.state.lock:
            target = self.state.clock.now() + seconds
            ran = self.run_due(None, target)
            self.state.clock.advance(seconds)
            self.deliveries.release()
            self.state.save()
            return {"now": self.state.clock.now(), "transitions": ran}

    def due_now(self) -> list[dict[str, Any]]:
        """Run what real time has made due (the ticker, and flush before it waits)."""
        with self.state.lock:
            ran = self.run_due(None, self.state.clock.now())
            self.deliveries.release()
            if ran:
                self.state.save()
            return ran

    # -- test clocks ---------------------------------------------------------------
    def start_test_clock(self, ctx: Context, clock: dict[str, Any], target: int) -> None:
        """Called by the advance endpoint (under the lock): validate, mark advancing, queue."""
        if clock["status"] != "ready":
            raise invalid(
                f"The test clock {clock['id']} is currently {clock['status']}; wait until it is "
                "ready before advancing it again."
            )
        if target <= clock["frozen_time"]:
            raise invalid(
                "Test clocks can only move forward in time. The frozen_time must be after the "
                f"current frozen_time ({clock['frozen_time']}).",
                param="frozen_time",
            )
        limit = _advance_limit(self.state, clock)
        if target > limit:
            raise invalid(
                "Cannot advance the test clock more than two intervals of the shortest "
                "subscription interval on it (or two years when it has none). The furthest "
                f"frozen_time allowed is {limit}.",
                param="frozen_time",
            )
        clock["status"] = "advancing"
        clock["status_details"] = {"advancing": {"target_frozen_time": target}}
        ctx.emit("test_helpers.test_clock.advancing", clock, created=self.state.clock.now())
        with self._cond:
            self._jobs.append((clock["id"], target))
            self._cond.notify_all()

    def _advance_test_clock(self, clock_id: str, target: int) -> None:
        with self.state.lock:
            clock = self.state.find(CLOCK, clock_id)
            if clock is None or clock.get("_deleted") or clock["status"] != "advancing":
                return
            self.run_due(clock_id, target)
            clock["frozen_time"] = target
            clock["status"] = "ready"
            clock["status_details"] = {"advancing": None}
            Context(self.state, None, None).emit(
                "test_helpers.test_clock.ready", clock, created=self.state.clock.now()
            )
            self.deliveries.release()
            self.state.save()

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Until no test clock is advancing (flush waits on this first)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._jobs or self._busy) and time.monotonic() < deadline:
                self._cond.wait(0.05)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._jobs and not self._stopping:
                    self._cond.wait(self.tick)
                if self._stopping:
                    return
                job = self._jobs.pop(0) if self._jobs else None
                self._busy = True
            try:
                if job is not None:
                    self._advance_test_clock(*job)
                else:
                    self.due_now()
            except Exception:  # noqa: BLE001 - keep the ticker alive; the bug is logged
                log.error("scheduler failed:\n%s", traceback.format_exc())
                if job is not None:
                    self._fail_test_clock(job[0])
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _fail_test_clock(self, clock_id: str) -> None:
        with self.state.lock:
            clock = self.state.find(CLOCK, clock_id)
            if clock is not None:
                clock["status"] = "internal_failure"
                Context(self.state, None, None).emit(
                    "test_helpers.test_clock.internal_failure",
                    clock,
                    created=self.state.clock.now(),
                )
                self.deliveries.release()


def _advance_limit(state: State, clock: dict[str, Any]) -> int:
    """Two intervals of the shortest subscription on the clock; two years with none."""
    frozen = clock["frozen_time"]
    limits = []
    for sub in state.table("subscription").values():
        if sub.get("test_clock") != clock["id"] or sub["status"] in (
            "canceled",
            "incomplete_expired",
        ):
            continue
        interval, count = _interval(_price_of(state, sub["items"]["data"][0]))
        limits.append(add_interval(frozen, interval, 2 * count))
    return min(limits) if limits else add_interval(frozen, "year", 2)


__all__ = ["AFTER_RETRIES", "Scheduler", "days", "retry_at"]
