"""The SDK's declared fields, checked on what the emulator serves (shape fidelity)."""

from __future__ import annotations

import functools
from typing import Any

import stripe  # noqa: TID251 - the shape check reads the SDK's declarations

# Declared fields Stripe itself leaves out of a live object, so the emulator
# does too (code that read them would pass here and break against Stripe):
# `deleted` is only on deleted objects ({"id", "object", "deleted": true});
# an event's `previous_attributes` only on *.updated events; a price's
# `currency_options` only when expanded (https://docs.stripe.com/api/expanding_objects).
OMITTED = {("*", "deleted"), ("Data", "previous_attributes"), ("Price", "currency_options")}


@functools.cache
def declared(cls: type) -> tuple[str, ...]:
    fields: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        fields.update(getattr(klass, "__annotations__", {}))
    remap = getattr(cls, "_field_remappings", {})
    return tuple(
        remap.get(name, name)
        for name in fields
        if not name.startswith("_") and name != "OBJECT_NAME"
    )


def missing_fields(obj: Any, path: str) -> list[str]:
    """Every declared field absent from `obj` or the objects nested in it."""
    missing: list[str] = []
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            missing += missing_fields(item, f"{path}[{i}]")
        return missing
    if not isinstance(obj, stripe.StripeObject):
        return missing
    cls = type(obj)
    for field in declared(cls):
        if ("*", field) in OMITTED or (cls.__name__, field) in OMITTED:
            continue
        if field not in obj:
            missing.append(f"{path}.{field} ({cls.__qualname__})")
    for key, value in obj.to_dict(recursive=False).items():
        missing += missing_fields(value, f"{path}.{key}")
    return missing


def assert_shape(obj: Any, expected_class: type) -> None:
    assert isinstance(obj, expected_class), type(obj)
    assert declared(expected_class), "the SDK declares no fields: the check would be empty"
    assert missing_fields(obj, expected_class.__name__) == []
