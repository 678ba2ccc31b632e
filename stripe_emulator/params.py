"""Stripe's form encoding: nested params in, validated values out.

The SDK sends `a[b]=1`, `items[0][price]=x`, `expand[0]=y` (docs also show
`expand[]=y`); booleans as true/false; GET and DELETE params in the query.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from . import currencies, validation
from .errors import invalid, missing_param, unknown_param

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"-?[0-9]+")

# Hashes whose keys are free-form (never turned into lists).
FREE_FORM = frozenset({"metadata"})


def parse_form(raw: str) -> dict[str, Any]:
    """Decode an x-www-form-urlencoded string into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        segments = [match.group(1), *_SEGMENT.findall(match.group(2))]
        node = root
        for i, seg in enumerate(segments):
            last = i == len(segments) - 1
            if seg == "":
                seg = str(_next_index(node))
            if last:
                node[seg] = value
            else:
                child = node.get(seg)
                if not isinstance(child, dict):
                    child = {}
                    node[seg] = child
                node = child
    return _listify(root, None)


def _next_index(node: dict[str, Any]) -> int:
    return len([k for k in node if k.isdigit()])


def _listify(value: Any, key: str | None) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {k: _listify(v, k) for k, v in value.items()}
    if key not in FREE_FORM and converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


# ---------------------------------------------------------------------------
# Schemas: which params an endpoint accepts. A schema is a dict of
# name -> spec where spec is SCALAR, MAP (free-form string hash), ANY,
# a nested schema dict, or ListOf(spec).

SCALAR = "scalar"
MAP = "map"
ANY = "any"


class ListOf:
    def __init__(self, spec: Any) -> None:
        self.spec = spec


# Typed scalars: the schema checks the value's type and bounds before the handler
# runs, so a bad value changes nothing (Stripe validates the whole request first).
class Int:
    def __init__(self, minimum: int | None = None, maximum: int | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum


class Enum:
    def __init__(self, *choices: str) -> None:
        self.choices = choices


class Str:
    def __init__(self, max_length: int) -> None:
        self.max_length = max_length


BOOL = "bool"
EMAIL = "email"
CURRENCY = "currency"


EXPAND = ListOf(SCALAR)


def check_schema(params: dict[str, Any], schema: dict[str, Any]) -> None:
    """Refuse unknown parameters (400 parameter_unknown), as Stripe does."""
    _check(params, {"expand": EXPAND, **schema}, "")


def _check_typed(holder: dict[str, Any], spec: Any, name: str) -> None:
    if isinstance(spec, Int):
        get_int(holder, "v", name=name, minimum=spec.minimum, maximum=spec.maximum)
    elif isinstance(spec, Enum):
        get_enum(holder, "v", spec.choices, name=name)
    elif isinstance(spec, Str):
        get_str(holder, "v", name=name, max_length=spec.max_length)
    elif spec == BOOL:
        get_bool(holder, "v", name=name)
    elif spec == EMAIL:
        get_email(holder, "v", name=name)
    else:
        get_currency(holder, "v", name=name)


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def _check(value: Any, spec: Any, name: str) -> None:
    if spec == ANY:
        return
    if spec == SCALAR:
        if isinstance(value, dict | list):
            raise invalid(f"Invalid string: {value!r}", param=name)
        return
    if spec == MAP:
        if value == "":
            return
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {name} must be a hash", param=name)
        for k, v in value.items():
            if isinstance(v, dict | list):
                raise invalid(f"Invalid string: {v!r}", param=_name(name, k))
        if name == "metadata" or name.endswith("[metadata]"):
            validation.check_metadata_pairs(value, name)
            validation.check_metadata_count({k: v for k, v in value.items() if v != ""}, name)
        return
    if isinstance(spec, Int | Enum | Str) or spec in (BOOL, EMAIL, CURRENCY):
        _check(value, SCALAR, name)
        _check_typed({"v": value}, spec, name)
        return
    if isinstance(spec, ListOf):
        if value == "":
            return
        if isinstance(value, dict):
            raise invalid(f"Invalid array: {name} must be an array", param=name)
        if not isinstance(value, list):
            raise invalid(f"Invalid array: {name} must be an array", param=name)
        for i, item in enumerate(value):
            _check(item, spec.spec, f"{name}[{i}]")
        return
    if isinstance(spec, dict):
        if value == "" and name:
            return
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {name} must be a hash", param=name)
        for k, v in value.items():
            if k not in spec:
                raise unknown_param(_name(name, k))
            _check(v, spec[k], _name(name, k))
        return
    raise TypeError(f"bad schema spec {spec!r}")


# ---------------------------------------------------------------------------
# Typed getters. `params` is a (possibly nested) dict, `name` its full name
# for error messages.


def get_str(
    params: dict[str, Any],
    key: str,
    *,
    name: str | None = None,
    required: bool = False,
    max_length: int | None = None,
):
    name = name or key
    value = params.get(key)
    if value is None:
        if required:
            raise missing_param(name)
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {value!r}", param=name)
    if required and value == "":
        raise missing_param(name)
    if max_length is not None:
        validation.check_length(value, max_length, name)
    return value


def get_email(params: dict[str, Any], key: str = "email", *, name: str | None = None):
    """An email address as Stripe takes it (validation.email_ok); '' clears."""
    name = name or key
    value = get_str(params, key, name=name)
    if value:
        validation.check_email(value, name)
    return value


def get_currency(
    params: dict[str, Any],
    key: str = "currency",
    *,
    name: str | None = None,
    required: bool = False,
) -> str | None:
    """A currency Stripe supports (currencies.py), lowercased; None when absent."""
    name = name or key
    value = get_str(params, key, name=name, required=required)
    if value is None or value == "":
        if required:
            raise missing_param(name)
        return None
    code = value.lower()
    if not currencies.is_supported(code):
        raise invalid(currencies.unsupported_message(value), param=name)
    return code


def get_int(
    params: dict[str, Any],
    key: str,
    *,
    name: str | None = None,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    name = name or key
    value = params.get(key)
    if value is None or value == "":
        if required:
            raise missing_param(name)
        return None
    if not isinstance(value, str | int) or not _INTEGER.fullmatch(str(value)):
        raise validation.integer_error(value, name)
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise validation.bound_error(name, minimum, maximum, number)
    return number


def get_bool(params: dict[str, Any], key: str, *, name: str | None = None) -> bool | None:
    name = name or key
    value = params.get(key)
    if value is None or value == "":
        return None
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise invalid(f"Invalid boolean: {value}", param=name)


def get_enum(
    params: dict[str, Any],
    key: str,
    choices: tuple[str, ...],
    *,
    name: str | None = None,
    required: bool = False,
) -> str | None:
    name = name or key
    value = get_str(params, key, name=name, required=required)
    if value is None or value == "":
        return None
    if value not in choices:
        raise invalid(validation.enum_message(name, choices), param=name)
    return value


def get_metadata(
    params: dict[str, Any],
    current: dict[str, str] | None = None,
    *,
    key: str = "metadata",
    name: str | None = None,
) -> dict[str, str]:
    """Merge `metadata` the Stripe way: '' clears all, a key set to '' is removed; Stripe's
    limits (validation.py) on what is set and on the merged result."""
    name = name or key
    result = dict(current or {})
    value = params.get(key)
    if value is None:
        return result
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid object: {name} must be a hash", param=name)
    validation.check_metadata_pairs(value, name)
    for k, v in value.items():
        if v == "":
            result.pop(k, None)
        else:
            result[k] = v
    validation.check_metadata_count(result, name)
    return result


def get_expand(params: dict[str, Any]) -> list[str]:
    value = params.get("expand")
    if value is None or value == "":
        return []
    return [v for v in value if v]
