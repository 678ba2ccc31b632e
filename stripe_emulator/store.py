"""The emulator's state: every object, one lock, events, persistence.

Objects are plain dicts in Stripe's shape. Keys starting with "_" are
internal (never sent); a few fields are assembled when rendered (a
subscription item's price, a customer's subscriptions).
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import string
import tempfile
import threading
from typing import Any

from .clock import Clock
from .errors import invalid, no_such
from .idempotency import IdempotencyStore

API_VERSION = "2026-10-28.endive"

_ALPHABET = string.ascii_letters + string.digits

# Id prefix -> collection, for expand.
PREFIXES = {
    "cus": "customer",
    "pm": "payment_method",
    "seti": "setup_intent",
    "pi": "payment_intent",
    "ch": "charge",
    "re": "refund",
    "prod": "product",
    "price": "price",
    "sub": "subscription",
    "in": "invoice",
    "evt": "event",
    "we": "webhook_endpoint",
    "clock": "test_helpers.test_clock",
    "promo": "promotion_code",
    "di": "discount",
    "txr": "tax_rate",
    "txi": "tax_id",
}

NOUNS = {
    "customer": "customer",
    "payment_method": "PaymentMethod",
    "setup_intent": "setupintent",
    "payment_intent": "payment_intent",
    "charge": "charge",
    "refund": "refund",
    "product": "product",
    "price": "price",
    "subscription": "subscription",
    "invoice": "invoice",
    "event": "event",
    "webhook_endpoint": "webhook_endpoint",
    "test_helpers.test_clock": "test_clock",
    "coupon": "coupon",
    "promotion_code": "promotion code",
    "discount": "discount",
    "tax_rate": "tax_rate",
    "tax_id": "tax_id",
}


def new_id(prefix: str, length: int = 24) -> str:
    number = int.from_bytes(secrets.token_bytes(length), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return f"{prefix}_" + "".join(chars)


# Account-level billing settings (Dashboard > Billing > Revenue recovery), per emulator.
DEFAULT_SETTINGS: dict[str, Any] = {
    # Custom retry schedule: each retry N days after the previous attempt [RETRY].
    "payment_retry_days": [3, 5, 7],
    # What the subscription becomes when the last retry fails: canceled|unpaid|past_due.
    "after_retries": "canceled",
    # How long a write waits for its customer's object lock before 429 lock_timeout.
    "lock_timeout_seconds": 2.0,
    # Stripe Tax (stripe_emulator/tax.py): the country the account is established in, and
    # the default tax behavior for prices whose tax_behavior is unspecified (None: none).
    "tax_origin": "IE",
    "tax_behavior": None,
}


class State:
    """All emulator objects. Hold `lock` for any read-modify-write."""

    def __init__(self, path: str | None = None, settings: dict[str, Any] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.path = path
        self.collections: dict[str, dict[str, dict[str, Any]]] = {}
        self.seq = 0
        self.hooks: dict[str, Any] = {}  # kind -> render hook, set by resources
        self.idempotency = IdempotencyStore()
        self.default_settings = copy.deepcopy(DEFAULT_SETTINGS) | copy.deepcopy(settings or {})
        self.settings = copy.deepcopy(self.default_settings)
        # Events recorded but not yet handed to the webhook sender: released when the
        # request (or transition) that made them is complete, so payloads show final state.
        self.outbox: list[dict[str, Any]] = []
        self.loaded_deliveries: list[Any] = []
        if path and os.path.exists(path):
            self.load()

    # -- storage -------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.collections = {}
            self.seq = 0
            self.clock.reset()
            self.idempotency.clear()
            self.settings = copy.deepcopy(self.default_settings)
            self.outbox = []

    def table(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.collections.setdefault(kind, {})

    def insert(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        obj["_seq"] = self.seq
        self.table(obj["object"])[obj["id"]] = obj
        return obj

    def find(self, kind: str, object_id: str) -> dict[str, Any] | None:
        return self.collections.get(kind, {}).get(object_id)

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Every object of a kind, newest first (Stripe's list order)."""
        objs = list(self.collections.get(kind, {}).values())
        objs.sort(key=lambda o: (o.get("created", 0), o["_seq"]), reverse=True)
        return objs

    # -- persistence (--state PATH) -------------------------------------
    def save(self) -> None:
        if not self.path:
            return
        with self.lock:
            data = {
                "collections": self.collections,
                "seq": self.seq,
                "clock_offset": self.clock.offset,
                "idempotency": self.idempotency.dump(),
                "deliveries": self.hooks["dump_deliveries"]()
                if "dump_deliveries" in self.hooks
                else [],
            }
            directory = os.path.dirname(os.path.abspath(self.path))
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".stripe-emulator-")
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh)
            os.replace(tmp, self.path)

    def load(self) -> None:
        if not self.path:
            return
        with open(self.path) as fh:
            data = json.load(fh)
        with self.lock:
            self.collections = data["collections"]
            self.seq = data["seq"]
            self.clock.reset(data.get("clock_offset", 0))
            self.idempotency.restore(data.get("idempotency", []))
            # Settings are configuration: the flags of this start win over the saved ones.
            self.loaded_deliveries = data.get("deliveries", [])

    # -- rendering --------------------------------------------------------
    def render(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The object as the API shows it: a deep copy without internal keys."""
        hook = self.hooks.get(obj["object"])
        if hook is not None:
            return hook(self, obj)
        return strip(obj)

    def lookup_any(self, object_id: str) -> dict[str, Any] | None:
        prefix = object_id.split("_", 1)[0]
        kind = PREFIXES.get(prefix)
        if kind is None:
            return self.find("coupon", object_id)  # a coupon's id is any string
        return self.find(kind, object_id)


def strip(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy without the top-level internal ("_") keys.

    Internal keys live at the top of stored objects only (a subscription
    item's `_price` is removed by the subscription's render hook).
    """
    copied = json.loads(json.dumps(obj))
    for key in [k for k in copied if k.startswith("_")]:
        del copied[key]
    return copied


# ---------------------------------------------------------------------------
# Expand

# Fields that hold an id Stripe lets you expand (the SDK types them Expandable).
EXPANDABLE = frozenset(
    [
        "customer",
        "default_payment_method",
        "latest_invoice",
        "pending_setup_intent",
        "payment_method",
        "payment_intent",
        "charge",
        "latest_charge",
        "invoice",
        "subscription",
        "product",
        "price",
        "test_clock",
        "default_price",
        "balance_transaction",
        "setup_intent",
        "schedule",
        "application",
        "on_behalf_of",
        "default_source",
        "latest_attempt",
        "mandate",
        "single_use_mandate",
        "review",
        "source_transfer_reversal",
        "transfer_reversal",
        "failure_balance_transaction",
        "from_invoice",
        "latest_revision",
        "coupon",
        "promotion_code",
        "discount",
        "discounts",
    ]
)


def expand(state: State, body: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    for path in paths:
        segments = path.split(".")
        if len([s for s in segments if s != "data"]) > 4:
            raise invalid(
                f"You cannot expand more than 4 levels of a property. Property: {path}",
                param="expand",
            )
        _expand(state, body, segments, path)
    return body


def _expand(state: State, node: Any, segments: list[str], full: str) -> None:
    if not segments or node is None:
        return
    key, rest = segments[0], segments[1:]
    if isinstance(node, dict) and node.get("object") == "list" and key == "data":
        for item in node.get("data", []):
            _expand(state, item, rest, full)
        return
    if isinstance(node, dict) and node.get(key) is None and "include" in state.hooks:
        # A field Stripe leaves out (price.currency_options) or shows as null (customer.tax)
        # unless expanded.
        stored = state.lookup_any(node.get("id") or "")
        value = state.hooks["include"](state, stored, key) if stored else None
        if value is not None:
            node[key] = value
    if not isinstance(node, dict) or key not in node:
        raise invalid(f"This property cannot be expanded ({full}).", param="expand")
    value = node[key]
    if isinstance(value, list):  # a list of ids (`discounts`) or of hashes holding one
        for i, entry in enumerate(value):
            if isinstance(entry, str) and key in EXPANDABLE:
                target = state.lookup_any(entry)
                if target is None:
                    raise invalid(f"This property cannot be expanded ({full}).", param="expand")
                value[i] = entry = state.render(target)
            elif not isinstance(entry, dict):
                raise invalid(f"This property cannot be expanded ({full}).", param="expand")
            _expand(state, entry, rest, full)
        return
    if (value is None or isinstance(value, str)) and key not in EXPANDABLE:
        raise invalid(f"This property cannot be expanded ({full}).", param="expand")
    if isinstance(value, str):
        target = state.lookup_any(value)
        if target is None:
            raise invalid(f"This property cannot be expanded ({full}).", param="expand")
        value = state.render(target)
        node[key] = value
    elif value is not None and not isinstance(value, dict):
        raise invalid(f"This property cannot be expanded ({full}).", param="expand")
    _expand(state, value, rest, full)


# ---------------------------------------------------------------------------
# Lists and pagination (docs/emulator-lifecycle.md, "Lists")


def paginate(
    state: State,
    objs: list[dict[str, Any]],
    params: dict[str, Any],
    url: str,
    kind: str,
) -> dict[str, Any]:
    from .params import get_int, get_str

    limit = get_int(params, "limit", minimum=1, maximum=100)
    limit = 10 if limit is None else limit
    after = get_str(params, "starting_after")
    before = get_str(params, "ending_before")
    if after and before:
        raise invalid(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
            code="parameters_exclusive",
        )
    objs = _filter_created(objs, params.get("created"))
    ids = [o["id"] for o in objs]
    if after:
        if after not in ids:
            raise no_such(NOUNS.get(kind, kind), after, param="starting_after", status=400)
        start = ids.index(after) + 1
        page = objs[start : start + limit]
        has_more = start + limit < len(objs)
    elif before:
        if before not in ids:
            raise no_such(NOUNS.get(kind, kind), before, param="ending_before", status=400)
        end = ids.index(before)
        start = max(0, end - limit)
        page = objs[start:end]
        has_more = start > 0
    else:
        page = objs[:limit]
        has_more = len(objs) > limit
    return {
        "object": "list",
        "data": [state.render(o) for o in page],
        "has_more": has_more,
        "url": url,
    }


def _filter_created(objs: list[dict[str, Any]], created: Any) -> list[dict[str, Any]]:
    """`created=<ts>` or `created[gt|gte|lt|lte]=<ts>` on any list."""
    if created is None or created == "":
        return objs
    bounds = created if isinstance(created, dict) else {"eq": created}
    tests = {
        "eq": lambda v, b: v == b,
        "gt": lambda v, b: v > b,
        "gte": lambda v, b: v >= b,
        "lt": lambda v, b: v < b,
        "lte": lambda v, b: v <= b,
    }
    for op, raw in bounds.items():
        if op not in tests:
            raise invalid(f"Received unknown parameter: created[{op}]", param=f"created[{op}]")
        try:
            bound = int(raw)
        except (TypeError, ValueError):
            raise invalid(
                f"Invalid integer: {raw}", param="created", code="parameter_invalid_integer"
            ) from None
        objs = [o for o in objs if tests[op](o.get("created", 0), bound)]
    return objs


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def deep_copy(value: Any) -> Any:
    return copy.deepcopy(value)
