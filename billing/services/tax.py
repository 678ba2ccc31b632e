"""Where a reader is for tax, and whether Stripe Tax computes their subscription's tax.

The reader's country (with a postal code in the US and Canada, as Stripe Tax needs)
and a business reader's VAT number are collected at trial start and subscribe
(`tax_location_parse`), set on the Stripe customer inside the creation attempt,
under keys derived from its key (`customer_set_tax_location`: a retry replays,
one address, one tax ID), and mirrored on our Customer (`country`, `postal_code`).

A subscription is created with `automatic_tax` when Stripe Tax is on
(STRIPE_TAX_ENABLED) and the customer's location is known (`tax_automatic`).
Stripe refuses automatic tax for a customer it cannot place, so a reader who
gave no country (and whose CDN header named none) is charged without tax: the
country is optional in the API, as it was before Stripe Tax, and docs/api.md
says so. Reverse charge (a business reader with a VAT number of another EU
country than the publisher's) is Stripe Tax's to decide, from the tax ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.gb import vat as gb_vat
from stdnum.no import mva as no_vat

from billing import gateway
from billing.models import Customer
from billing.money import country_is_known, country_parse
from config.errors import ApplicationError

# Countries whose tax location needs a postal code besides the country
# (https://docs.stripe.com/tax/customer-locations): the US (a 5-digit ZIP code)
# and Canada (its postal code gives the province).
POSTAL_CODE_REQUIRED = frozenset({"US", "CA"})
EU = frozenset(settings.EU_COUNTRIES.split())
# The VAT number's prefix for a country, where it is not the country code.
EU_VAT_PREFIX = {"GR": "EL"}
_COUNTRY_OF_VAT_PREFIX = {prefix: country for country, prefix in EU_VAT_PREFIX.items()}


@dataclass(frozen=True)
class TaxLocation:
    """Where a reader is for tax: a country (ISO 3166-1 alpha-2) and, where one is
    needed, a postal code; a business reader's VAT number as Stripe's tax ID."""

    country: str
    postal_code: str = ""
    vat_type: str = ""
    vat_id: str = ""

    def as_params(self) -> dict[str, str]:
        """For the creation attempt's parameters: another location is another attempt."""
        return {"country": self.country, "postal_code": self.postal_code, "vat_id": self.vat_id}


def tax_location_parse(
    *,
    country: str | None = None,
    postal_code: str = "",
    vat_id: str = "",
    geo_country: str | None = None,
) -> TaxLocation | None:
    """The reader's tax location from what they sent, else the CDN's country (`geo_country`:
    billing.selectors.request_geo_country, parsed already).

    400 `invalid_country` for a malformed `country`; 400 `tax_location_invalid`
    (naming `postal_code`) when a US or Canadian reader sends no postal code; 400
    `invalid_vat_id` for a VAT number that is malformed, fails its check digits, is
    of another country than `country`, or of a country we take none from. A VAT
    number names its country: it is the reader's country when they sent none. The
    header is a hint, never an error (a CDN's "T1" or "XX" is simply no country),
    and never enough in the US or Canada, where a postal code is needed. None: no
    location known (no tax computed).
    """
    explicit = country_parse(country)
    postal_code = " ".join(postal_code.split()).upper()
    vat = _vat_parse(vat_id, country=explicit) if vat_id.strip() else None
    if explicit is None and vat is not None:
        explicit = vat[2]
    if explicit is not None:
        if not country_is_known(explicit):
            return None  # not a country Stripe Tax can place: no location
        if explicit in POSTAL_CODE_REQUIRED and not postal_code:
            message = (
                "A US address needs its 5-digit ZIP code."
                if explicit == "US"
                else "A Canadian address needs its postal code."
            )
            raise ApplicationError(
                message, code="tax_location_invalid", fields={"postal_code": [message]}
            )
        return TaxLocation(
            country=explicit,
            postal_code=postal_code,
            vat_type=vat[0] if vat else "",
            vat_id=vat[1] if vat else "",
        )
    hinted = geo_country if geo_country and country_is_known(geo_country) else None
    if hinted is None or hinted in POSTAL_CODE_REQUIRED:
        return None
    return TaxLocation(country=hinted, postal_code=postal_code)


def _vat_parse(value: str, *, country: str | None) -> tuple[str, str, str]:
    """(Stripe's tax ID type, the number in Stripe's form, its country), or 400."""
    text = value.strip().upper()
    try:
        if text.startswith("GB"):
            kind, number, of = "gb_vat", "GB" + gb_vat.validate(text), "GB"
        elif text.startswith("CHE"):
            kind, number, of = "ch_vat", ch_vat.format(ch_vat.validate(text)), "CH"
        elif text.endswith("MVA"):
            kind, number, of = "no_vat", no_vat.validate(text), "NO"
        else:
            number = eu_vat.validate(text)
            prefix = number[:2]
            of = _COUNTRY_OF_VAT_PREFIX.get(prefix, prefix)
            kind = "eu_vat"
            if of not in EU:
                raise NumberInvalid
    except NumberInvalid:
        message = (
            f"{value.strip()[:40]!r} is not a valid VAT number: give it with its country "
            "prefix, such as DE123456789 or GB123456789."
        )
        raise ApplicationError(
            message, code="invalid_vat_id", fields={"vat_id": [message]}
        ) from None
    if country is not None and of != country:
        message = f"This VAT number is from {of}, not {country}."
        raise ApplicationError(message, code="invalid_vat_id", fields={"vat_id": [message]})
    return kind, number, of


def customer_set_tax_location(
    *, customer: Customer, location: TaxLocation | None, key_base: str
) -> Customer:
    """Set the reader's location on their Stripe customer (and the VAT number as a tax ID),
    refused with a clear 400 when Stripe Tax cannot place it; mirror it on our row.

    The writes' keys derive from the attempt of the action they are part of
    (`key_base`): requests sharing it replay these writes at Stripe. The tax ID is
    looked for first, so a retry after an unanswered create does not add another.
    """
    if location is None:
        return customer
    gateway.customer_set_address(
        customer_id=customer.stripe_customer_id,
        country=location.country,
        postal_code=location.postal_code,
        idempotency_key=f"{key_base}:customer.tax_location",
    )
    if location.vat_id and not _has_tax_id(customer, location):
        gateway.customer_tax_id_create(
            customer_id=customer.stripe_customer_id,
            kind=location.vat_type,
            value=location.vat_id,
            idempotency_key=f"{key_base}:customer.tax_id",
        )
    # Part of the trial start or subscription it comes with: that action's audit entry
    # is the one (docs/operations.md, "Audit trail"); the row and Stripe hold the rest.
    mirrored = {"country": location.country, "postal_code": location.postal_code}
    Customer.objects.filter(pk=customer.pk).update(**mirrored)
    customer.country, customer.postal_code = location.country, location.postal_code
    return customer


def customer_tax_location_sync(*, customer: Customer) -> Customer:
    """Mirror the customer's country and postal code from Stripe's billing address as it is
    now (a `customer.updated` event: an address changed in Stripe's dashboard too)."""
    remote = gateway.customer_retrieve(customer_id=customer.stripe_customer_id)
    if remote.get("deleted"):
        return customer
    address = remote.get("address") or {}
    mirrored = {
        "country": str(address.get("country") or "").upper()[:2],
        "postal_code": str(address.get("postal_code") or "")[:20],
    }
    if mirrored != {"country": customer.country, "postal_code": customer.postal_code}:
        Customer.objects.filter(pk=customer.pk).update(**mirrored)
        customer.country, customer.postal_code = mirrored["country"], mirrored["postal_code"]
    return customer


def _has_tax_id(customer: Customer, location: TaxLocation) -> bool:
    listed: list[Any] = gateway.customer_tax_id_list(customer_id=customer.stripe_customer_id)
    return any(
        tax_id.get("type") == location.vat_type
        and str(tax_id.get("value") or "").upper().replace(" ", "")
        == location.vat_id.upper().replace(" ", "")
        for tax_id in listed
    )


def tax_automatic(*, customer: Customer) -> bool:
    """Whether the reader's subscriptions are created with Stripe Tax (automatic_tax):
    it is on, and the customer's location is known to us (so Stripe has it too)."""
    if not settings.STRIPE_TAX_ENABLED or not customer.country:
        return False
    return customer.country not in POSTAL_CODE_REQUIRED or bool(customer.postal_code)
