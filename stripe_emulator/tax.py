"""Stripe Tax, the part a subscription paywall uses: the emulator's rate table, where a
customer is for tax, and what Stripe Tax decides for it (rate, or zero and why).

Sources (docs/emulator-lifecycle.md, "Stripe Tax"): [TAX-SUBS] tax/subscriptions,
[TAX-LOC] tax/customer-locations, [TAX-BEH] tax/products-prices-tax-codes-tax-behavior,
[TAX-IDS] billing/customer/tax-ids, [TAX-ZERO] tax/zero-tax.

The table is small and documented: the standard VAT rate of the countries below (a news
subscription is an electronically supplied service, taxed where the customer is). The
account's origin (where it is established) is the setting `tax_origin` (default IE).
United States sales tax is out of scope: a US customer pays 0 with `not_collecting`,
as does any country missing from the table (the account is "not registered" there).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .errors import invalid

# country -> (name, standard VAT rate in percent). EU member states, then GB, NO, CH.
RATES: dict[str, tuple[str, float]] = {
    "AT": ("Austria", 20),
    "BE": ("Belgium", 21),
    "DE": ("Germany", 19),
    "DK": ("Denmark", 25),
    "ES": ("Spain", 21),
    "FR": ("France", 20),
    "IE": ("Ireland", 23),
    "IT": ("Italy", 22),
    "LU": ("Luxembourg", 17),
    "NL": ("Netherlands", 21),
    "PL": ("Poland", 23),
    "PT": ("Portugal", 23),
    "SE": ("Sweden", 25),
    "GB": ("United Kingdom", 20),
    "NO": ("Norway", 25),
    "CH": ("Switzerland", 8.1),
}
EU = frozenset(
    ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE"),
) | frozenset(("IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"))
# Tax ID types that make a business customer of that country (reverse charge) [TAX-ZERO].
BUSINESS_IDS = {"eu_vat": EU, "gb_vat": {"GB"}, "no_vat": {"NO"}, "ch_vat": {"CH"}}
NOT_REGISTERED = "not_collecting"

LOCATION_MESSAGE = (
    "The customer's location isn't recognized. Set a valid customer address in order to "
    "automatically calculate tax."
)
AUTOMATIC_TAX = {"enabled": "scalar", "liability": {"type": "scalar", "account": "scalar"}}
TAX_PARAMS = {"automatic_tax": AUTOMATIC_TAX}
CUSTOMER_TAX = {"ip_address": "scalar", "validate_location": "scalar"}
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


def location_error() -> Exception:
    return invalid(LOCATION_MESSAGE, code="customer_tax_location_invalid")


# -- where the customer is [TAX-LOC] ------------------------------------------------------


def _precise(addr: dict[str, Any]) -> dict[str, Any] | None:
    """The tax location of one address, or None when it is not precise enough: a valid
    country code; in the US a 5-digit postal code; in Canada a province or postal code."""
    country = (addr.get("country") or "").upper()
    if not _COUNTRY.match(country):
        return None
    state = addr.get("state") or None
    if country == "US" and not _US_ZIP.match(addr.get("postal_code") or ""):
        return None
    if country == "CA" and not (state or addr.get("postal_code")):
        return None
    return {"country": country, "state": state if country in ("US", "CA") else None}


def _filled(addr: dict[str, Any] | None) -> bool:
    return bool(addr) and any(v for v in addr.values())


def location(customer: dict[str, Any], changes: dict[str, Any] | None = None):
    """The customer's tax location {country, state, source}, or None (unrecognized): the
    shipping address when not empty, else the billing address (`changes`: the address and
    shipping an update would set)."""
    changes = changes or {}
    ship = changes["shipping"] if "shipping" in changes else customer.get("shipping")
    bill = changes["address"] if "address" in changes else customer.get("address")
    ship_addr = (ship or {}).get("address")
    for addr, source in ((ship_addr, "shipping_destination"), (bill, "billing_address")):
        if _filled(addr):
            found = _precise(addr)
            return found | {"source": source} if found else None
    return None


def customer_tax(customer: dict[str, Any]) -> dict[str, Any]:
    """The customer's `tax` hash (an includable field: `expand[]=tax`)."""
    where = location(customer)
    if where is None:
        status = "unrecognized_location"
    elif where["country"] in RATES:
        status = "supported"
    else:
        status = NOT_REGISTERED
    return {
        "automatic_tax": status,
        "ip_address": customer.get("_tax_ip"),
        "location": where,
        "provider": "stripe",
    }


def check_customer_location(ctx: Any, customer: dict[str, Any] | None, params: dict[str, Any]):
    """`tax[validate_location]`: `immediately` refuses an unrecognized location; `auto` (an
    update's default) refuses it for a customer with a live automatic-tax subscription."""
    tax = params.get("tax") or {}
    mode = tax.get("validate_location") or ("auto" if customer else "deferred")
    choices = ("auto", "deferred", "immediately") if customer else ("deferred", "immediately")
    if mode not in choices:
        raise invalid(
            f"Invalid tax[validate_location]: must be one of {', '.join(choices)}",
            param="tax[validate_location]",
        )
    moves = customer is None or bool({"address", "shipping"} & set(params))
    if mode == "deferred" or (mode == "auto" and not moves):
        return
    if location(customer or {}, params) is not None:
        return
    if mode == "immediately" or any(
        s["customer"] == customer["id"]
        and s["automatic_tax"]["enabled"]
        and s["status"] not in ("canceled", "incomplete_expired")
        for s in ctx.state.all("subscription")
    ):
        raise location_error()


# -- automatic_tax on a subscription [TAX-SUBS] --------------------------------------------


def effective_behavior(ctx: Any, behavior: str | None) -> str | None:
    """A price's tax_behavior (in the currency charged: its currency option's), or the
    account default (setting `tax_behavior`) when the price's is unspecified [TAX-BEH]."""
    if (behavior or "unspecified") == "unspecified":
        return ctx.state.settings.get("tax_behavior")
    return behavior


def automatic_tax(ctx: Any, params: dict[str, Any], customer: dict[str, Any], sub=None):
    """The subscription's `automatic_tax` after this request, validated before anything
    changes: enabling it needs a recognized customer location; every price of a
    subscription with automatic tax needs a tax behavior (its own or the default)."""
    current = sub["automatic_tax"] if sub else disabled()
    param = params.get("automatic_tax")
    given = param not in (None, "")
    if given and param.get("enabled") not in ("true", True):
        return disabled()
    if not (given or current["enabled"]):
        return current
    if given and location(customer) is None:
        raise location_error()
    ids = [i.get("price") for i in params.get("items") or [] if isinstance(i, dict)]
    ids += [i["_price"] for i in sub["items"]["data"]] if sub else []
    for price in filter(None, (ctx.state.find("price", i) for i in ids if i)):
        if effective_behavior(ctx, price.get("tax_behavior")) is None:
            raise invalid(
                f"The price `{price['id']}` does not have a `tax_behavior` set which is "
                "required for automatic tax computation. Please visit "
                "https://stripe.com/docs/tax/products-prices-tax-categories-tax-behavior"
                "#tax-behavior for more information."
            )
    if not given:
        return current
    return {
        "disabled_reason": None,
        "enabled": True,
        "liability": {"account": None, "type": "self"},
    }


def disabled() -> dict[str, Any]:
    return {"disabled_reason": None, "enabled": False, "liability": None}


def invoice_automatic_tax(sub: dict[str, Any], customer: dict[str, Any]) -> dict[str, Any]:
    """An invoice's `automatic_tax`, from its subscription's and the customer's location."""
    if not sub["automatic_tax"]["enabled"]:
        return {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        }
    return {
        "disabled_reason": None,
        "enabled": True,
        "liability": {"account": None, "type": "self"},
        "provider": "stripe",
        "status": "complete" if location(customer) else "requires_location_inputs",
    }


# -- what Stripe Tax decides [TAX-ZERO] ------------------------------------------------------


def treatment(ctx: Any, customer: dict[str, Any]) -> tuple[dict[str, Any], float, str]:
    """(location, percentage, taxability_reason) for a customer whose location is known."""
    where = location(customer) or {"country": None, "state": None}
    country = where["country"]
    exempt = customer.get("tax_exempt") or "none"
    if exempt == "exempt":
        return where, 0, "customer_exempt"
    if exempt == "reverse" or _reverse_charge(ctx, customer, country):
        return where, 0, "reverse_charge"
    if country not in RATES:
        return where, 0, NOT_REGISTERED
    return where, RATES[country][1], "standard_rated"


def _reverse_charge(ctx: Any, customer: dict[str, Any], country: str) -> bool:
    """A business customer (a tax ID of its country's VAT type, not found invalid) in
    another country than the account's origin [TAX-ZERO]."""
    origin = ctx.state.settings.get("tax_origin", "IE")
    if country == origin or country not in RATES:
        return False
    for tax_id in ctx.state.all("tax_id"):
        if tax_id["customer"] != customer["id"] or tax_id.get("_deleted"):
            continue
        status = (tax_id.get("verification") or {}).get("status")
        if country in BUSINESS_IDS.get(tax_id["type"], ()) and status != "unverified":
            return True
    return False


def tax_amount(base: int, percentage: float, behavior: str) -> tuple[int, int]:
    """(tax, taxable amount) of `base` minor units: exclusive tax is added to it, inclusive
    tax taken out of it (base x rate / (1 + rate)); half a minor unit rounds away from 0."""
    rate = Decimal(str(percentage)) / 100
    exact = Decimal(base) * rate / ((1 + rate) if behavior == "inclusive" else 1)
    tax = int(exact.copy_abs().quantize(Decimal(1), rounding=ROUND_HALF_UP)) * (
        -1 if exact < 0 else 1
    )
    return tax, base - tax if behavior == "inclusive" else base


def check_behavior_change(price: dict[str, Any], new: str | None) -> str | None:
    """A price's tax_behavior may be set once: from unspecified to inclusive or exclusive
    [TAX-BEH]."""
    old = price.get("tax_behavior") or "unspecified"
    if new is None or new == old or old == "unspecified":
        return new or old
    raise invalid(
        f"The price's tax_behavior is {old} and cannot be changed: once specified as either "
        "inclusive or exclusive, it cannot be changed.",
        param="tax_behavior",
    )


def included(state: Any, node: dict[str, Any], key: str) -> dict[str, Any] | None:
    """Fields Stripe serves only when expanded: `customer.tax` (`expand[]=tax`)."""
    if key == "tax" and node.get("object") == "customer":
        return customer_tax(state.find("customer", node["id"]) or node)
    return None
