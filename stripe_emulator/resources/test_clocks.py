"""Test clocks: customers created on one live at its frozen_time; advancing it runs what
falls due in the background (stripe_emulator/scheduler.py)."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid
from stripe_emulator.params import SCALAR, get_int, get_str
from stripe_emulator.store import new_id

from .base import PAGE, Context, listing, retrieve, route
from .customers import delete_customer
from .skeletons import fill

CLOCK = "test_helpers.test_clock"
__test__ = False  # a resource module, not a pytest one (whatever its name says)


@route("POST", "/v1/test_helpers/test_clocks", {"frozen_time": SCALAR, "name": SCALAR})
def test_clock_create(ctx: Context, params: dict[str, Any]):
    frozen = get_int(params, "frozen_time", required=True, minimum=0)
    now = ctx.now()
    clock = fill(
        "test_clock",
        {
            "id": new_id("clock"),
            "object": CLOCK,
            "created": now,
            "deletes_after": now + 30 * 86400,
            "frozen_time": frozen,
            "name": get_str(params, "name") or None,
        },
    )
    ctx.insert(clock)
    ctx.emit("test_helpers.test_clock.created", clock, created=now)
    return ctx.render(clock)


retrieve(CLOCK, "/v1/test_helpers/test_clocks/{id}")
listing(CLOCK, "/v1/test_helpers/test_clocks", PAGE)


@route("POST", "/v1/test_helpers/test_clocks/{id}/advance", {"frozen_time": SCALAR})
def test_clock_advance(ctx: Context, params: dict[str, Any], id: str):
    """Starts the advance: the clock answers `advancing`; it is `ready` when every
    transition due up to frozen_time has run (in the background, scheduler.py)."""
    clock = ctx.get(CLOCK, id)
    target = get_int(params, "frozen_time", required=True, minimum=0)
    start = ctx.state.hooks.get("advance_test_clock")
    if start is None:
        raise invalid("Test clocks cannot be advanced on this emulator.")
    start(ctx, clock, target)
    return ctx.render(clock)


@route("DELETE", "/v1/test_helpers/test_clocks/{id}")
def test_clock_delete(ctx: Context, params: dict[str, Any], id: str):
    """Deleting a clock deletes its customers (which cancels their subscriptions)."""
    clock = ctx.get(CLOCK, id)
    for customer in ctx.state.all("customer"):
        if customer.get("test_clock") == id and not customer.get("_deleted"):
            delete_customer(ctx, customer)
    ctx.emit("test_helpers.test_clock.deleted", clock, created=ctx.now())
    clock["_deleted"] = True
    return {"id": id, "object": CLOCK, "deleted": True}
