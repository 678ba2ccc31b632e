"""Events: every change recorded (Context.emit in base.py); retrieve and list."""

from __future__ import annotations

from typing import Any

from stripe_emulator.params import SCALAR, ListOf, get_str

from .base import PAGE, Context, listing, retrieve

retrieve("event", "/v1/events/{id}")


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    kind = get_str(params, "type")
    if kind:
        if kind.endswith("*"):
            objs = [e for e in objs if e["type"].startswith(kind[:-1])]
        else:
            objs = [e for e in objs if e["type"] == kind]
    if params.get("types"):
        objs = [e for e in objs if e["type"] in params["types"]]
    return objs


listing(
    "event",
    "/v1/events",
    PAGE | {"type": SCALAR, "types": ListOf(SCALAR), "created": "any", "delivery_success": SCALAR},
    _where,
)
