"""Object skeletons: every field of each object the emulator serves, with its fixed
value, as data. A builder fills in the fields that vary (`fill`); a field missing
here cannot be set, so this package is the shape of each object. The shapes are those
the installed SDK declares for the pinned API version, checked at run time by
tests/stripe_emulator/test_shapes.py (served objects) and test_structure.py (these
skeletons)."""

from __future__ import annotations

import copy
from typing import Any

from . import billing, discounts, payments, tax

SKELETONS: dict[str, dict[str, Any]] = (
    billing.SKELETONS | payments.SKELETONS | discounts.SKELETONS | tax.SKELETONS
)


def fill(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """A new object of `kind`: its skeleton with `values` set (keys starting with "_" are
    the emulator's own, never sent)."""
    obj = copy.deepcopy(SKELETONS[kind])
    unknown = [key for key in values if key not in obj and not key.startswith("_")]
    if unknown:
        raise KeyError(f"{kind} has no field {unknown}: add it to resources/skeletons/")
    obj.update(values)
    return obj
