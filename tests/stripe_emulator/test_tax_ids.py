"""Customer tax IDs: create, list, retrieve, delete, the value's format, verification, and
the customer.tax_id.* events (stripe_emulator/resources/tax_ids.py)."""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from tests.helpers.stripe_emulator import moment


# https://docs.stripe.com/api/tax_ids/customer_create ; https://docs.stripe.com/api/tax_ids/object
def test_create_list_retrieve_delete(stripe_client, receiver, stripe_emulator):
    customer = stripe_client.v1.customers.create(params={"email": "b@example.com"})
    moment(stripe_emulator, receiver)
    tax_id = stripe_client.v1.customers.tax_ids.create(
        customer.id, params={"type": "eu_vat", "value": "DE123456789"}
    )
    assert tax_id.id.startswith("txi_")
    assert (tax_id.type, tax_id.value, tax_id.country, tax_id.customer) == (
        "eu_vat",
        "DE123456789",
        "DE",
        customer.id,
    )
    assert (tax_id.owner.type, tax_id.owner.customer) == ("customer", customer.id)
    assert tax_id.verification.status == "pending"
    assert moment(stripe_emulator, receiver) == {
        "customer.tax_id.created",
        "customer.tax_id.updated",
    }
    listed = stripe_client.v1.customers.tax_ids.list(customer.id)
    assert [t.id for t in listed.data] == [tax_id.id]
    assert listed.url == f"/v1/customers/{customer.id}/tax_ids"
    assert stripe_client.v1.customers.retrieve(customer.id).tax_ids.data[0].id == tax_id.id
    assert (
        stripe_client.v1.customers.tax_ids.retrieve(customer.id, tax_id.id).value == "DE123456789"
    )
    deleted = stripe_client.v1.customers.tax_ids.delete(customer.id, tax_id.id)
    assert (deleted.id, deleted.deleted) == (tax_id.id, True)
    assert moment(stripe_emulator, receiver) == {"customer.tax_id.deleted"}
    assert stripe_client.v1.customers.tax_ids.list(customer.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.customers.tax_ids.retrieve(customer.id, tax_id.id)
    assert err.value.http_status == 404


# https://docs.stripe.com/billing/customer/tax-ids (supported types and their formats)
@pytest.mark.parametrize(
    ("kind", "value", "country"),
    [
        ("eu_vat", "FRAB123456789", "FR"),
        ("eu_vat", "ATU12345678", "AT"),
        ("eu_vat", "EL123456789", "GR"),
        ("eu_vat", "NL123456789B12", "NL"),
        ("gb_vat", "GB123456789", "GB"),
        ("ch_vat", "CHE-123.456.789 MWST", "CH"),
        ("no_vat", "123456789MVA", "NO"),
        ("au_abn", "12345678912", "AU"),
    ],
)
def test_well_formed_values(stripe_client, kind, value, country):
    customer = stripe_client.v1.customers.create()
    tax_id = stripe_client.v1.customers.tax_ids.create(
        customer.id, params={"type": kind, "value": value}
    )
    assert (tax_id.type, tax_id.country) == (kind, country)


# https://docs.stripe.com/error-codes#tax-id-invalid
@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("eu_vat", "123456789"),  # no country prefix
        ("eu_vat", "DE12345678"),  # a digit short
        ("eu_vat", "US123456789"),  # not an EU prefix
        ("gb_vat", "123456789"),
        ("ch_vat", "CHE123456789"),
        ("no_vat", "123456789"),
    ],
)
def test_malformed_values_are_refused(stripe_client, kind, value):
    customer = stripe_client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.customers.tax_ids.create(
            customer.id, params={"type": kind, "value": value}
        )
    assert (err.value.code, err.value.param, err.value.http_status) == (
        "tax_id_invalid",
        "value",
        400,
    )
    assert err.value.user_message == f"Invalid value for {kind}."
    assert stripe_client.v1.customers.tax_ids.list(customer.id).data == []


def test_an_unknown_type_is_refused(stripe_client):
    customer = stripe_client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.customers.tax_ids.create(
            customer.id, params={"type": "xx_vat", "value": "1"}
        )
    assert err.value.param == "type"


# https://docs.stripe.com/billing/customer/tax-ids (validation); the emulator's rule is in
# stripe_emulator/resources/tax_ids.py
@pytest.mark.parametrize(
    ("value", "status"),
    [("DE123456789", "verified"), ("DE123456710", "unverified"), ("DE111111111", "unavailable")],
)
def test_verification_settles_after_the_create(stripe_client, value, status):
    customer = stripe_client.v1.customers.create()
    tax_id = stripe_client.v1.customers.tax_ids.create(
        customer.id, params={"type": "eu_vat", "value": value}
    )
    assert tax_id.verification.status == "pending"
    assert (
        stripe_client.v1.customers.tax_ids.retrieve(customer.id, tax_id.id).verification.status
        == status
    )


# https://docs.stripe.com/api/customers/create#create_customer-tax_id_data
def test_tax_id_data_on_customer_create(stripe_client):
    customer = stripe_client.v1.customers.create(
        params={"tax_id_data": [{"type": "gb_vat", "value": "GB123456789"}]}
    )
    (tax_id,) = customer.tax_ids.data
    assert (tax_id.type, tax_id.customer) == ("gb_vat", customer.id)
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.customers.create(
            params={"email": "x@example.com", "tax_id_data": [{"type": "eu_vat", "value": "nope"}]}
        )
    assert (err.value.code, err.value.param) == ("tax_id_invalid", "tax_id_data[0][value]")
    assert stripe_client.v1.customers.list(params={"email": "x@example.com"}).data == []
