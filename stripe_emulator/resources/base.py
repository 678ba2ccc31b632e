"""Routing, the per-request context every resource handler receives, and the
generic retrieve and list every resource shares (`retrieve`, `listing`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stripe_emulator.errors import no_such
from stripe_emulator.params import SCALAR, check_schema
from stripe_emulator.store import API_VERSION, NOUNS, State, new_id, paginate

Handler = Callable[..., Any]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    schema: dict[str, Any]


ROUTES: list[Route] = []

# The paging parameters every list accepts.
PAGE: dict[str, Any] = {"limit": SCALAR, "starting_after": SCALAR, "ending_before": SCALAR}


def route(method: str, path: str, schema: dict[str, Any] | None = None):
    """Register a handler for METHOD /v1/path; `{id}` segments become arguments."""
    regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, re.compile(regex), handler, schema or {}))
        return handler

    return register


def retrieve(kind: str, path: str, schema: dict[str, Any] | None = None) -> Handler:
    """Register GET `path` (ending in `{id}`): the object of `kind`, rendered; a missing or
    deleted one is Stripe's 404 `resource_missing`."""

    def handler(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
        return ctx.render(ctx.get(kind, id))

    handler.__name__ = f"{kind.rsplit('.', 1)[-1]}_retrieve"
    return route("GET", path, schema)(handler)


Objects = list[dict[str, Any]]


def listing(
    kind: str,
    path: str,
    schema: dict[str, Any],
    where: Callable[[Context, dict[str, Any], Objects], Objects] | None = None,
) -> Handler:
    """Register GET `path`: the objects of `kind` not deleted, newest first, narrowed by
    `where(ctx, params, objects)` (which validates its own parameters), one page of them
    (`limit`, `starting_after`, `ending_before`, `created`: store.paginate)."""

    def handler(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        objs = [o for o in ctx.state.all(kind) if not o.get("_deleted")]
        if where is not None:
            objs = where(ctx, params, objs)
        return paginate(ctx.state, objs, params, path, kind)

    handler.__name__ = f"{kind.rsplit('.', 1)[-1]}_list"
    return route("GET", path, schema)(handler)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for r in ROUTES:
        if r.method != method:
            continue
        m = r.pattern.match(path)
        if m:
            return r, m.groupdict()
    return None


def validate(r: Route, params: dict[str, Any]) -> None:
    check_schema(params, r.schema)


class Context:
    """What a handler may use: the state, the clock, the request, events."""

    def __init__(self, state: State, request_id: str | None, idempotency_key: str | None):
        self.state = state
        self.request_id = request_id
        self.idempotency_key = idempotency_key

    # -- time ---------------------------------------------------------
    def now(self, customer: dict[str, Any] | str | None = None) -> int:
        """Now for an object: its customer's test clock, else the emulator clock."""
        clock_id = None
        if isinstance(customer, str):
            customer = self.state.find("customer", customer)
        if customer is not None:
            clock_id = customer.get("test_clock")
        if clock_id:
            clock = self.state.find("test_helpers.test_clock", clock_id)
            if clock is not None:
                return clock["frozen_time"]
        return self.state.clock.now()

    # -- objects ------------------------------------------------------
    def get(self, kind: str, object_id: str, *, param: str = "id", status: int = 404):
        obj = self.state.find(kind, object_id)
        if obj is None or obj.get("_deleted"):
            raise no_such(NOUNS.get(kind, kind), object_id, param=param, status=status)
        return obj

    def insert(self, obj: dict[str, Any]) -> dict[str, Any]:
        return self.state.insert(obj)

    def render(self, obj: dict[str, Any]) -> dict[str, Any]:
        return self.state.render(obj)

    # -- events -------------------------------------------------------
    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        before: dict[str, Any] | None = None,
        *,
        created: int | None = None,
    ) -> dict[str, Any] | None:
        """Record an event; `before` (a rendering) yields previous_attributes."""
        snapshot = self.render(obj)
        data: dict[str, Any] = {"object": snapshot}
        if before is not None:
            previous = diff(before, snapshot)
            if not previous:
                return None
            data["previous_attributes"] = previous
        endpoints = [
            e
            for e in self.state.all("webhook_endpoint")
            if e["status"] == "enabled"
            and ("*" in e["enabled_events"] or event_type in e["enabled_events"])
        ]
        customer = obj.get("customer") if obj.get("object") != "customer" else obj
        event = {
            "id": new_id("evt"),
            "object": "event",
            "account": None,
            "api_version": API_VERSION,
            "context": None,
            "created": created if created is not None else self.now(customer),
            "data": data,
            "livemode": False,
            "pending_webhooks": len(endpoints),
            "request": {"id": self.request_id, "idempotency_key": self.idempotency_key},
            "type": event_type,
            "_endpoints": [e["id"] for e in endpoints],
        }
        self.insert(event)
        on_event = self.state.hooks.get("on_event")
        if on_event is not None:
            on_event(self.state, event)
        return event


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """previous_attributes: old values of changed keys, hashes compared deeply."""
    previous: dict[str, Any] = {}
    for key in set(before) | set(after):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if (
            isinstance(old, dict)
            and isinstance(new, dict)
            and "object" not in old
            and "object" not in new
        ):
            previous[key] = diff(old, new)
        else:
            previous[key] = old
    return previous
