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

Transitions (docs/emulator-lifecycle.md; (I) where it infers), each a public
function of stripe_emulator/lifecycle/ that the request handlers call too:
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
- resume_collection: a subscription's pause_collection[resumes_at] -> collection
  resumes (pause_collection null; lifecycle/pause_collection.py);
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
from .lifecycle import cancellation, dunning, pause_collection, renewal, trial
from .lifecycle.cancellation import INCOMPLETE_WINDOW
from .lifecycle.dunning import AFTER_RETRIES, retry_at
from .lifecycle.trial import TRIAL_WILL_END
from .resources.base import Context
from .resources.periods import add_interval, days
from .resources.prices import price_interval, price_of
from .store import State

if TYPE_CHECKING:
    from .webhooks import Deliveries

log = logging.getLogger("stripe_emulator.scheduler")

CLOCK = "test_helpers.test_clock"
MAX_TRANSITIONS = 100_000

# Order of transitions falling due at the same second.
PRIORITY = {
    "trial_will_end": 0,
    "trial_end": 1,
    "finalize": 2,
    "attempt": 3,
    "resume_collection": 4,
    "period_end": 5,
    "expire": 6,
}


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
        resumes_at = pause_collection.resumes_at(sub)
        if resumes_at is not None:
            consider(resumes_at, "resume_collection", sub)
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


# -- the transitions: the lifecycle's own functions, which the handlers call too ----

ACTIONS = {
    "expire": cancellation.expire,
    "trial_will_end": trial.trial_will_end,
    "trial_end": trial.trial_end,
    "finalize": dunning.finalize,
    "attempt": dunning.retry,
    "period_end": renewal.period_end,
    "resume_collection": pause_collection.resume_collection,
}


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
        interval, count = price_interval(price_of(state, sub["items"]["data"][0]))
        limits.append(add_interval(frozen, interval, 2 * count))
    return min(limits) if limits else add_interval(frozen, "year", 2)


__all__ = ["AFTER_RETRIES", "Scheduler", "days", "retry_at"]
