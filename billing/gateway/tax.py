"""Stripe Tax on a customer: where they are (their address), and their tax IDs.

Stripe Tax reads the customer's location from the billing address (a country;
in the US a 5-digit ZIP code, in Canada a province or postal code) and a
business customer's status from its tax IDs (eu_vat, gb_vat, ...): see
https://docs.stripe.com/tax/customer-locations and
https://docs.stripe.com/billing/customer/tax-ids.
"""

from __future__ import annotations

from typing import Any

from stripe.params import CustomerUpdateParams

from billing.gateway.client import StripeInvalidRequest, call, stripe_client, write_options


class TaxLocationInvalid(StripeInvalidRequest):
    """Stripe Tax does not recognise the address as a location (its
    `customer_tax_location_invalid`): the reader must correct it."""

    code = "tax_location_invalid"


class TaxIdInvalid(StripeInvalidRequest):
    """Stripe refuses the tax ID's value (its `tax_id_invalid`)."""

    code = "invalid_vat_id"


def customer_set_address(
    *, customer_id: str, country: str, postal_code: str, idempotency_key: str
) -> Any:
    """Put the reader's country (and postal code) on the customer's billing address,
    refused at once when Stripe Tax cannot place it (`tax[validate_location]`)."""
    params: CustomerUpdateParams = {
        "address": {"country": country, "postal_code": postal_code},
        "tax": {"validate_location": "immediately"},
        "expand": ["tax"],
    }
    try:
        return call(
            "customer.update",
            lambda: stripe_client().v1.customers.update(
                customer_id,
                params=params,
                options=write_options(idempotency_key),
            ),
        )
    except StripeInvalidRequest as exc:
        if exc.stripe_code != "customer_tax_location_invalid":
            raise
        field = "postal_code" if country in ("US", "CA") else "country"
        message = f"Stripe Tax cannot place {country} {postal_code}".rstrip() + (
            ": check the postal code." if field == "postal_code" else ": check the country."
        )
        raise TaxLocationInvalid(
            message, stripe_code=exc.stripe_code, param=field, fields={field: [message]}
        ) from exc


def customer_retrieve(*, customer_id: str) -> Any:
    """The customer as Stripe has it now (its address: where it is for tax)."""
    return call("customer.retrieve", lambda: stripe_client().v1.customers.retrieve(customer_id))


def customer_tax_id_list(*, customer_id: str) -> list[Any]:
    def fetch() -> list[Any]:
        page = stripe_client().v1.customers.tax_ids.list(customer_id, params={"limit": 100})
        return list(page.auto_paging_iter())

    tax_ids: list[Any] = call("tax_id.list", fetch)
    return tax_ids


def customer_tax_id_create(*, customer_id: str, kind: str, value: str, idempotency_key: str) -> Any:
    try:
        return call(
            "tax_id.create",
            lambda: stripe_client().v1.customers.tax_ids.create(
                customer_id,
                params={"type": kind, "value": value},
                options=write_options(idempotency_key),
            ),
        )
    except StripeInvalidRequest as exc:
        if exc.stripe_code != "tax_id_invalid":
            raise
        message = f"{value} is not a valid VAT number."
        raise TaxIdInvalid(
            message, stripe_code=exc.stripe_code, param="vat_id", fields={"vat_id": [message]}
        ) from exc
