"""Shapes shared by several resources."""

from __future__ import annotations

from typing import Any

ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
ADDRESS_SCHEMA: dict[str, Any] = dict.fromkeys(ADDRESS_KEYS, "scalar")


def address(value: Any = None) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    return {k: value.get(k) or None for k in ADDRESS_KEYS}


def money_str(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, "")
    text = f"{amount / 100:.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"
