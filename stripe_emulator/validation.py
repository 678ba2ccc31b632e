"""Stripe's rules for values, one function per rule; params.py's getters call them.

Each rule names the Stripe page it follows; where Stripe documents the limit but
not the wording of its error, the message is the closest one Stripe is seen to
answer (docs/emulator-lifecycle.md, "Validation", marks which).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import StripeError, invalid

# https://docs.stripe.com/api/customers/create#create_customer-email: up to 512
# characters. Stripe refuses with `email_invalid` (https://docs.stripe.com/error-codes)
# an address with no `@`, a space, or a domain that is not a dotted host name ending
# in a top-level domain: `a@com`, `a@gmail`, `reader@localhost` are refused.
EMAIL_MAX = 512
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_TLD = r"(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)"
_EMAIL = re.compile(rf"[^\s@]+@(?:{_LABEL}\.)+{_TLD}", re.IGNORECASE)


def email_ok(value: str) -> bool:
    """Stripe's shape of an email address (see the rule above)."""
    return len(value) <= EMAIL_MAX and _EMAIL.fullmatch(value) is not None


def check_email(value: str, param: str = "email") -> str:
    if not email_ok(value):
        raise invalid(f"Invalid email address: {value}", param=param, code="email_invalid")
    return value


# https://docs.stripe.com/api/metadata: up to 50 keys, keys up to 40 characters
# without square brackets, values up to 500 characters.
METADATA_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500


def check_metadata_pairs(changes: dict[str, Any], param: str = "metadata") -> None:
    """The keys and values a request sets."""
    for key, value in changes.items():
        if len(key) > METADATA_KEY_LENGTH:
            raise invalid(
                f"Invalid key: {key} must be a string under {METADATA_KEY_LENGTH} characters",
                param=param,
            )
        if "[" in key or "]" in key:
            raise invalid(f"Invalid key: {key} must not contain square brackets", param=param)
        if not isinstance(value, str):
            raise invalid(f"Invalid value type: {value!r} must be a string", param=param)
        if len(value) > METADATA_VALUE_LENGTH:
            raise invalid(
                f"Invalid val: {value} must be a string under {METADATA_VALUE_LENGTH} characters",
                param=param,
            )


def check_metadata_count(result: dict[str, str], param: str = "metadata") -> None:
    """The object's metadata once the request's changes are merged."""
    if len(result) > METADATA_KEYS:
        raise invalid(
            f"Metadata can have up to {METADATA_KEYS} keys, but you've set {len(result)}. "
            "Email us at support+metadata@stripe.com for more information.",
            param=param,
        )


def check_length(value: str, maximum: int, param: str) -> str:
    """A string longer than Stripe takes for this parameter."""
    if len(value) > maximum:
        raise invalid(
            f"Invalid string: {value[:50]}{'...' if len(value) > 50 else ''}; "
            f"must be at most {maximum} characters",
            param=param,
        )
    return value


def enum_message(name: str, choices: tuple[str, ...]) -> str:
    """Stripe's wording: `Invalid interval: must be one of day, month, week, or year`,
    `Invalid billing_cycle_anchor: must be one of now or unchanged`."""
    if len(choices) == 1:
        listed = choices[0]
    elif len(choices) == 2:
        listed = f"{choices[0]} or {choices[1]}"
    else:
        listed = ", ".join(choices[:-1]) + f", or {choices[-1]}"
    return f"Invalid {name}: must be one of {listed}"


def integer_error(value: Any, name: str) -> StripeError:
    return invalid(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer")


def bound_error(name: str, minimum: int | None, maximum: int | None, number: int) -> StripeError:
    """An integer outside Stripe's bounds: `Invalid positive integer` (minimum 1),
    `Invalid non-negative integer` (minimum 0), otherwise the bound itself."""
    if minimum is not None and number < minimum:
        if minimum == 1:
            return invalid("Invalid positive integer", param=name)
        if minimum == 0:
            return invalid("Invalid non-negative integer", param=name)
        return invalid(f"This value must be greater than or equal to {minimum}.", param=name)
    return invalid(f"This value must be less than or equal to {maximum}.", param=name)


# https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts: an amount
# has at most eight digits (99999999, $999,999.99 in USD).
MAX_AMOUNT = 99_999_999


# https://docs.stripe.com/api/products/create#create_product-statement_descriptor: up
# to 22 characters, none of `<`, `>`, `\`, `"`, `'`.
STATEMENT_DESCRIPTOR_LENGTH = 22
_DESCRIPTOR_FORBIDDEN = set("<>\\\"'")


def check_statement_descriptor(value: str | None, param: str = "statement_descriptor") -> None:
    if not value:
        return
    if len(value) > STATEMENT_DESCRIPTOR_LENGTH:
        raise invalid(
            f"The statement descriptor must be at most {STATEMENT_DESCRIPTOR_LENGTH} "
            f"characters. {value} is {len(value)} characters long.",
            param=param,
        )
    if _DESCRIPTOR_FORBIDDEN & set(value):
        raise invalid(
            "The statement descriptor cannot contain any of the special characters "
            "<, >, \\, \", '.",
            param=param,
        )
