"""Currencies as Stripe Billing has them (docs/emulator-lifecycle.md, "Currencies"):

- a price's amounts in other currencies (`currency_options`), stored on the price as
  `_currency_options` and shown only when expanded (`expand[]=currency_options`);
- the one rule for a price's amount in a currency (`unit_amount_in`): every amount read
  from a price for a subscription, an invoice line or a proration goes through it;
- a subscription's currency (the `currency` parameter, else the first price's currency);
- the customer's currency: set by its first subscription or invoice (`adopt_currency`),
  and no subscription in another currency while something live is in the first one.
"""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid, missing_param, unknown_param
from stripe_emulator.params import get_currency, get_enum, get_int, get_str
from stripe_emulator.store import State
from stripe_emulator.validation import MAX_AMOUNT

TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
OPTION_KEYS = ("unit_amount", "unit_amount_decimal", "tax_behavior")

# Stripe's refusal of a subscription whose prices are in another currency than the
# customer's (subscriptions and subscription schedules; laravel/cashier-stripe#1570,
# Paymenter/Paymenter#986).
PRICES_MISMATCH = (
    "The currency of the selected prices ({new}) does not match the customer currency ({current})."
)
# Stripe's refusal of an invoice item, discount or Checkout Session in another currency
# than the customer's live objects (invoiceitems.py).
COMBINE_MISMATCH = (
    "You cannot combine currencies on a single customer. This customer has an active "
    "subscription, subscription schedule, discount, quote, invoice item or active "
    "subscription mode checkout session with currency {current}."
)
OWN_CURRENCY_UPDATE = (
    "You are specifying an update to a currency option that matches the top-level currency "
    "for this price. Please remove this currency option and update the top-level params "
    "instead."
)
LIVE = ("trialing", "active", "past_due", "unpaid", "incomplete", "paused")


def currency_code(value: str, name: str) -> str:
    """A currency code, lowercased, one Stripe supports (else Stripe's invalid currency)."""
    return get_currency({"currency": value}, name=name, required=True)


# -- prices ----------------------------------------------------------------------


def amount_params(params: dict[str, Any], name) -> int:
    """`unit_amount` or `unit_amount_decimal` (one of them), as an integer >= 0."""
    if params.get("unit_amount") not in (None, "") and params.get("unit_amount_decimal"):
        raise invalid(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
            param=name("unit_amount_decimal"),
        )
    amount = get_int(params, "unit_amount", name=name("unit_amount"), minimum=0, maximum=MAX_AMOUNT)
    if amount is not None:
        return amount
    decimal = get_str(params, "unit_amount_decimal", name=name("unit_amount_decimal"))
    if not decimal:
        raise missing_param(name("unit_amount"))
    try:
        amount = int(float(decimal))
    except ValueError:
        raise invalid(f"Invalid decimal: {decimal}", param=name("unit_amount_decimal")) from None
    if amount < 0:
        raise invalid(
            "This value must be greater than or equal to 0.", param=name("unit_amount_decimal")
        )
    return amount


def option_object(amount: int, tax_behavior: str) -> dict[str, Any]:
    """One entry of `price.currency_options` (the SDK's Price.CurrencyOptions)."""
    return {
        "custom_unit_amount": None,
        "tax_behavior": tax_behavior,
        "unit_amount": amount,
        "unit_amount_decimal": str(amount),
    }


def parse_currency_options(
    params: dict[str, Any], own: str, tax_behavior: str, *, update: bool = False
) -> dict[str, dict[str, Any]] | None:
    """`currency_options` on a price create or update, validated: None when not given,
    {} when cleared (''), else {currency: option}. An option's tax_behavior defaults to the
    price's (I). The price's own currency is refused: on update with Stripe's message
    (stripe/stripe-node#1559), on create with the same rule in words of our own (I)."""
    raw = params.get("currency_options")
    if raw is None:
        return None
    if raw == "":
        return {}
    if not isinstance(raw, dict):
        raise invalid("Invalid object: currency_options must be a hash", param="currency_options")
    options: dict[str, dict[str, Any]] = {}
    for key, spec in raw.items():
        prefix = f"currency_options[{key}]"
        code = currency_code(key, prefix)
        if code == own:
            raise invalid(
                OWN_CURRENCY_UPDATE
                if update
                else f"currency_options cannot contain the price's own currency ({own}): its "
                "amount is the price's unit_amount.",
                param=prefix,
            )
        if not isinstance(spec, dict):
            raise invalid(f"Invalid object: {prefix} must be a hash", param=prefix)
        for sub_key in spec:
            if sub_key not in OPTION_KEYS:
                raise unknown_param(f"{prefix}[{sub_key}]")

        def name(k: str, prefix: str = prefix) -> str:
            return f"{prefix}[{k}]"

        amount = amount_params(spec, name)
        behavior = get_enum(spec, "tax_behavior", TAX_BEHAVIORS, name=name("tax_behavior"))
        options[code] = option_object(amount, behavior or tax_behavior)
    return options


def currency_options(price: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every currency the price has, its own first: what `expand[]=currency_options` shows."""
    own = option_object(price["unit_amount"], price["tax_behavior"])
    own["unit_amount_decimal"] = price["unit_amount_decimal"]
    extra = price.get("_currency_options") or {}
    return {price["currency"]: own, **{k: dict(v) for k, v in sorted(extra.items())}}


def has_currency(price: dict[str, Any], currency: str) -> bool:
    return currency == price["currency"] or currency in (price.get("_currency_options") or {})


def unit_amount_in(price: dict[str, Any], currency: str) -> int:
    """The price's unit amount in `currency`: its own, or its currency option's. The one
    place an amount is read from a price."""
    return _option(price, currency)["unit_amount"]


def unit_amount_decimal_in(price: dict[str, Any], currency: str) -> str:
    return _option(price, currency)["unit_amount_decimal"]


def tax_behavior_in(price: dict[str, Any], currency: str) -> str:
    return _option(price, currency)["tax_behavior"]


def _option(price: dict[str, Any], currency: str) -> dict[str, Any]:
    if currency == price["currency"]:
        return price
    option = (price.get("_currency_options") or {}).get(currency)
    if option is None:
        raise KeyError(f"price {price['id']} has no amount in {currency}")
    return option


def included(state: State, obj: dict[str, Any], key: str) -> Any:
    """The store's `include` hook: a field Stripe leaves out unless expanded."""
    if obj.get("object") == "price" and key == "currency_options":
        return currency_options(obj)
    return None


# -- subscriptions and customers --------------------------------------------------


def subscription_currency(
    ctx: Any, params: dict[str, Any], resolved: list[tuple[dict[str, Any], int, dict]], customer
) -> tuple[str, int]:
    """A new subscription's currency and the amount of one period in it: `currency`, else
    the first price's; every price must have an amount in it, and the customer may not have
    anything live in another."""
    requested = get_currency(params, "currency")
    currency = requested or resolved[0][0]["currency"]
    for i, (price, _, _) in enumerate(resolved):
        if has_currency(price, currency):
            continue
        if requested:  # (I): the wording of Stripe's refusal is not documented
            raise invalid(
                f"The price specified ({price['id']}) does not support the currency "
                f"`{currency}`: add it to the price's currency_options.",
                param=f"items[{i}][price]",
            )
        raise invalid(
            "Currency and interval fields must match across all plans on this subscription.",
            param=f"items[{i}][price]",
        )
    check_customer_currency(ctx.state, customer, currency, PRICES_MISMATCH)
    return currency, sum(unit_amount_in(p, currency) * q for p, q, _ in resolved)


def live_currencies(state: State, customer: dict[str, Any]) -> set[str]:
    """The currencies of the customer's subscriptions that have not ended."""
    return {
        s["currency"]
        for s in state.all("subscription")
        if s["customer"] == customer["id"] and s["status"] in LIVE
    }


def check_customer_currency(
    state: State, customer: dict[str, Any], currency: str, message: str = COMBINE_MISMATCH
) -> None:
    """Refuse `currency` while the customer has something live in its own currency. Once
    all of it has ended, another currency is accepted and becomes the customer's."""
    current = customer.get("currency")
    if current and current != currency and current in live_currencies(state, customer):
        raise invalid(message.format(new=currency, current=current))


def adopt_currency(customer: dict[str, Any], currency: str) -> None:
    """The customer's currency after a subscription or invoice in `currency` (checked
    first by check_customer_currency)."""
    customer["currency"] = currency
