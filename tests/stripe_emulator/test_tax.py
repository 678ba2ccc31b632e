"""Stripe Tax on subscriptions: automatic_tax, the customer's tax location, the emulator's
documented rate table (stripe_emulator/tax.py), inclusive and exclusive prices, zero tax
and reverse charge, and the amounts invoices carry, through trials and renewals."""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from tests.helpers.stripe_emulator import customer_with_card

DAY = 86400
HOUR = 3600
BERLIN = {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"}
PARIS = {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}
NEW_YORK = {"line1": "1 Main St", "city": "New York", "state": "NY", "postal_code": "10001"}


def make_price(client, currency: str, amount: int, behavior: str | None = "inclusive"):
    product = client.v1.products.create(params={"name": "Digital news"})
    params = {
        "product": product.id,
        "currency": currency,
        "unit_amount": amount,
        "recurring": {"interval": "month"},
    }
    if behavior:
        params["tax_behavior"] = behavior
    return client.v1.prices.create(params=params)


def subscribe(client, customer, price, **params):
    return client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "automatic_tax": {"enabled": True},
            "expand": ["latest_invoice"],
            **params,
        }
    )


def the_tax(invoice):
    (line,) = invoice.lines.data
    (tax,) = line.taxes
    return line, tax


# https://docs.stripe.com/tax/subscriptions
# https://docs.stripe.com/tax/products-prices-tax-codes-tax-behavior (inclusive)
# https://docs.stripe.com/api/invoices/object#invoice_object-total_taxes
def test_german_reader_pays_9_99_with_19_percent_vat_inside(stripe_client):
    customer, _ = customer_with_card(stripe_client, address=BERLIN)
    price = make_price(stripe_client, "eur", 999, "inclusive")
    sub = subscribe(stripe_client, customer, price)
    assert sub.status == "active"
    assert sub.automatic_tax.enabled is True
    assert sub.automatic_tax.disabled_reason is None
    assert sub.automatic_tax.liability.type == "self"
    invoice = sub.latest_invoice
    assert invoice.automatic_tax.enabled is True
    assert invoice.automatic_tax.status == "complete"
    assert invoice.automatic_tax.provider == "stripe"
    line, tax = the_tax(invoice)
    assert (line.amount, tax.amount, tax.taxable_amount) == (999, 160, 839)
    assert (tax.tax_behavior, tax.taxability_reason, tax.type) == (
        "inclusive",
        "standard_rated",
        "tax_rate_details",
    )
    assert (invoice.subtotal, invoice.total, invoice.amount_due, invoice.amount_paid) == (
        999,
        999,
        999,
        999,
    )
    assert (invoice.subtotal_excluding_tax, invoice.total_excluding_tax) == (839, 839)
    assert [(t.amount, t.taxable_amount) for t in invoice.total_taxes] == [(160, 839)]
    # https://docs.stripe.com/api/tax_rates/object
    rate = stripe_client.v1.tax_rates.retrieve(tax.tax_rate_details.tax_rate)
    assert rate.id.startswith("txr_")
    assert (rate.percentage, rate.country, rate.jurisdiction, rate.inclusive) == (
        19,
        "DE",
        "DE",
        True,
    )
    assert (rate.tax_type, rate.display_name, rate.description) == ("vat", "VAT", "VAT Germany")
    assert rate.id in [r.id for r in stripe_client.v1.tax_rates.list().data]


# https://docs.stripe.com/tax/products-prices-tax-codes-tax-behavior (exclusive)
def test_french_reader_pays_20_percent_on_top_of_an_exclusive_price(stripe_client):
    customer, _ = customer_with_card(stripe_client, address=PARIS)
    sub = subscribe(stripe_client, customer, make_price(stripe_client, "eur", 1000, "exclusive"))
    invoice = sub.latest_invoice
    line, tax = the_tax(invoice)
    assert (line.amount, tax.amount, tax.taxable_amount, tax.tax_behavior) == (
        1000,
        200,
        1000,
        "exclusive",
    )
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (1000, 1200, 1200)
    assert (invoice.subtotal_excluding_tax, invoice.total_excluding_tax) == (1000, 1000)
    rate = stripe_client.v1.tax_rates.retrieve(tax.tax_rate_details.tax_rate)
    assert (rate.percentage, rate.country, rate.inclusive) == (20, "FR", False)


# https://docs.stripe.com/tax/zero-tax (not_collecting: not registered there)
@pytest.mark.parametrize(
    ("address", "currency"),
    [({**NEW_YORK, "country": "US"}, "usd"), ({"country": "BR", "postal_code": "01000"}, "brl")],
    ids=["US", "unknown-country"],
)
def test_a_country_outside_the_table_pays_zero_not_collecting(stripe_client, address, currency):
    customer, _ = customer_with_card(stripe_client, address=address)
    sub = subscribe(stripe_client, customer, make_price(stripe_client, currency, 999, "exclusive"))
    invoice = sub.latest_invoice
    _, tax = the_tax(invoice)
    assert (tax.amount, tax.taxable_amount, tax.taxability_reason) == (0, 999, "not_collecting")
    assert (invoice.total, invoice.amount_paid) == (999, 999)
    rate = stripe_client.v1.tax_rates.retrieve(tax.tax_rate_details.tax_rate)
    assert (rate.percentage, rate.country) == (0, address["country"])


# https://docs.stripe.com/tax/zero-tax (reverse charge)
# https://docs.stripe.com/billing/customer/tax-ids
def test_a_french_business_with_a_verified_vat_id_is_reverse_charged(stripe_client):
    customer, _ = customer_with_card(stripe_client, address=PARIS)
    tax_id = stripe_client.v1.customers.tax_ids.create(
        customer.id, params={"type": "eu_vat", "value": "FRAB123456789"}
    )
    assert tax_id.verification.status == "pending"
    retrieved = stripe_client.v1.customers.tax_ids.retrieve(customer.id, tax_id.id)
    assert retrieved.verification.status == "verified"
    sub = subscribe(stripe_client, customer, make_price(stripe_client, "eur", 1000, "exclusive"))
    _, tax = the_tax(sub.latest_invoice)
    assert (tax.amount, tax.taxability_reason) == (0, "reverse_charge")
    assert sub.latest_invoice.total == 1000
    # https://docs.stripe.com/api/invoices/object#invoice_object-customer_tax_ids
    assert [t.to_dict() for t in sub.latest_invoice.customer_tax_ids] == [
        {"type": "eu_vat", "value": "FRAB123456789"}
    ]


# https://docs.stripe.com/tax/zero-tax ; https://docs.stripe.com/api/customers/object#customer_object-tax_exempt
@pytest.mark.parametrize(
    ("exempt", "reason"), [("reverse", "reverse_charge"), ("exempt", "customer_exempt")]
)
def test_tax_exempt_customers_pay_zero(stripe_client, exempt, reason):
    customer, _ = customer_with_card(stripe_client, address=BERLIN, tax_exempt=exempt)
    sub = subscribe(stripe_client, customer, make_price(stripe_client, "eur", 1000, "exclusive"))
    _, tax = the_tax(sub.latest_invoice)
    assert (tax.amount, tax.taxability_reason) == (0, reason)
    assert sub.latest_invoice.customer_tax_exempt == exempt


def test_a_business_in_the_accounts_own_country_pays_vat(stripe_emulator, stripe_client):
    """Reverse charge is cross-border only: the origin is the setting `tax_origin`."""
    stripe_emulator.settings(tax_origin="FR")
    customer, _ = customer_with_card(stripe_client, address=PARIS)
    stripe_client.v1.customers.tax_ids.create(
        customer.id, params={"type": "eu_vat", "value": "FRAB123456789"}
    )
    sub = subscribe(stripe_client, customer, make_price(stripe_client, "eur", 1000, "exclusive"))
    _, tax = the_tax(sub.latest_invoice)
    assert (tax.amount, tax.taxability_reason) == (200, "standard_rated")


# https://docs.stripe.com/tax/customer-locations
def test_without_a_usable_address_automatic_tax_is_refused(stripe_client):
    customer, _ = customer_with_card(stripe_client)
    price = make_price(stripe_client, "eur", 999)
    with pytest.raises(stripe.InvalidRequestError) as err:
        subscribe(stripe_client, customer, price)
    assert err.value.code == "customer_tax_location_invalid"
    assert "location isn't recognized" in err.value.user_message
    assert stripe_client.v1.subscriptions.list(params={"customer": customer.id}).data == []
    # A US address needs a 5-digit postal code.
    customer = stripe_client.v1.customers.update(
        customer.id, params={"address": {"country": "US", "state": "NY"}}
    )
    with pytest.raises(stripe.InvalidRequestError):
        subscribe(stripe_client, customer, price)
    tax = stripe_client.v1.customers.retrieve(customer.id, params={"expand": ["tax"]}).tax
    assert (tax.automatic_tax, tax.location, tax.provider) == (
        "unrecognized_location",
        None,
        "stripe",
    )


# https://docs.stripe.com/tax/customer-locations ; https://docs.stripe.com/api/customers/object#customer_object-tax
def test_the_customers_tax_location_shipping_first(stripe_client):
    customer = stripe_client.v1.customers.create(params={"address": PARIS})
    assert customer.tax is None  # includable: only with expand[]=tax
    tax = stripe_client.v1.customers.retrieve(customer.id, params={"expand": ["tax"]}).tax
    assert tax.automatic_tax == "supported"
    assert tax.location.to_dict() == {"country": "FR", "state": None, "source": "billing_address"}
    customer = stripe_client.v1.customers.update(
        customer.id,
        params={
            "shipping": {"name": "R", "address": {**NEW_YORK, "country": "US"}},
            "expand": ["tax"],
        },
    )
    assert customer.tax.automatic_tax == "not_collecting"
    assert customer.tax.location.to_dict() == {
        "country": "US",
        "state": "NY",
        "source": "shipping_destination",
    }


# https://docs.stripe.com/api/customers/create#create_customer-tax-validate_location
# https://docs.stripe.com/changelog/acacia/2024-10-28/tax-validate-location-auto
def test_validate_location(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.customers.create(
            params={"address": {"city": "Nowhere"}, "tax": {"validate_location": "immediately"}}
        )
    assert err.value.code == "customer_tax_location_invalid"
    customer, _ = customer_with_card(stripe_client, address=BERLIN)
    subscribe(stripe_client, customer, make_price(stripe_client, "eur", 999))
    # `auto` (an update's default) refuses an unrecognized location once automatic tax runs.
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.customers.update(customer.id, params={"address": {"country": ""}})
    assert err.value.code == "customer_tax_location_invalid"
    stripe_client.v1.customers.update(
        customer.id, params={"address": "", "tax": {"validate_location": "deferred"}}
    )
    # An update that does not move the customer is not refused for the location.
    stripe_client.v1.customers.update(customer.id, params={"email": "moved@example.com"})


# https://docs.stripe.com/tax/products-prices-tax-codes-tax-behavior#tax-behavior
def test_an_unspecified_tax_behavior_needs_the_account_default(stripe_emulator, stripe_client):
    customer, _ = customer_with_card(stripe_client, address=BERLIN)
    price = make_price(stripe_client, "eur", 999, behavior=None)
    assert price.tax_behavior == "unspecified"
    with pytest.raises(stripe.InvalidRequestError) as err:
        subscribe(stripe_client, customer, price)
    assert "does not have a `tax_behavior` set" in err.value.user_message
    stripe_emulator.settings(tax_behavior="exclusive")
    _, tax = the_tax(subscribe(stripe_client, customer, price).latest_invoice)
    assert (tax.amount, tax.tax_behavior) == (190, "exclusive")


# https://docs.stripe.com/api/prices/update#update_price-tax_behavior
def test_a_price_tax_behavior_is_set_once(stripe_client):
    price = make_price(stripe_client, "eur", 999, behavior=None)
    price = stripe_client.v1.prices.update(price.id, params={"tax_behavior": "inclusive"})
    assert price.tax_behavior == "inclusive"
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.prices.update(
            price.id, params={"tax_behavior": "exclusive", "nickname": "changed"}
        )
    assert err.value.param == "tax_behavior"
    price = stripe_client.v1.prices.retrieve(price.id)
    assert (price.tax_behavior, price.nickname) == ("inclusive", None)


# https://docs.stripe.com/tax/subscriptions (enable on an existing subscription)
def test_enabling_and_disabling_on_update(stripe_client):
    customer, _ = customer_with_card(stripe_client, address=BERLIN)
    price = make_price(stripe_client, "eur", 999)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    assert sub.automatic_tax.enabled is False
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert (invoice.automatic_tax.enabled, invoice.automatic_tax.status) == (False, None)
    assert invoice.lines.data[0].taxes == []
    assert invoice.total_taxes == []
    sub = stripe_client.v1.subscriptions.update(sub.id, params={"automatic_tax": {"enabled": True}})
    assert sub.automatic_tax.enabled is True
    sub = stripe_client.v1.subscriptions.update(
        sub.id, params={"automatic_tax": {"enabled": False}}
    )
    assert sub.automatic_tax.to_dict() == {
        "disabled_reason": None,
        "enabled": False,
        "liability": None,
    }


# https://docs.stripe.com/tax/subscriptions ; https://docs.stripe.com/billing/subscriptions/trials
def test_tax_through_the_trial_conversion_and_a_renewal(stripe_emulator, stripe_client):
    customer, _ = customer_with_card(stripe_client, address=BERLIN)
    sub = subscribe(
        stripe_client, customer, make_price(stripe_client, "eur", 999), trial_period_days=30
    )
    line, tax = the_tax(sub.latest_invoice)
    assert (line.amount, tax.amount, sub.latest_invoice.total) == (0, 0, 0)
    stripe_emulator.advance(to=sub.trial_end + HOUR)
    sub = stripe_client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    invoice = sub.latest_invoice
    assert (invoice.billing_reason, invoice.status, invoice.amount_paid) == (
        "subscription_cycle",
        "paid",
        999,
    )
    assert [(t.amount, t.taxable_amount) for t in invoice.total_taxes] == [(160, 839)]
    # The reader moves to France before the renewal: 20% from then on.
    stripe_client.v1.customers.update(customer.id, params={"address": PARIS})
    period_end = sub["items"].data[0].current_period_end
    stripe_emulator.advance(to=period_end + HOUR)
    renewal = stripe_client.v1.invoices.retrieve(
        stripe_client.v1.subscriptions.retrieve(sub.id).latest_invoice
    )
    assert renewal.id != invoice.id
    assert (renewal.total, renewal.amount_paid) == (999, 999)
    assert [(t.amount, t.taxable_amount) for t in renewal.total_taxes] == [(167, 832)]


# https://docs.stripe.com/tax/customer-locations (invoice finalization errors)
def test_a_renewal_without_a_location_finalizes_without_tax(stripe_emulator, stripe_client):
    customer, _ = customer_with_card(stripe_client, address=BERLIN)
    sub = subscribe(stripe_client, customer, make_price(stripe_client, "eur", 999))
    stripe_client.v1.customers.update(
        customer.id, params={"address": "", "tax": {"validate_location": "deferred"}}
    )
    stripe_emulator.advance(to=sub["items"].data[0].current_period_end + 60)
    sub = stripe_client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    draft = sub.latest_invoice
    assert (draft.status, draft.automatic_tax.enabled) == ("draft", True)
    assert draft.automatic_tax.status == "requires_location_inputs"
    assert draft.total_taxes == []
    stripe_emulator.advance(HOUR)
    invoice = stripe_client.v1.invoices.retrieve(draft.id)
    assert (invoice.status, invoice.total, invoice.amount_paid) == ("paid", 999, 999)
    assert invoice.automatic_tax.enabled is False
    assert invoice.automatic_tax.disabled_reason == "finalization_requires_location_inputs"
    sub = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert (sub.automatic_tax.enabled, sub.automatic_tax.disabled_reason) == (
        False,
        "requires_location_inputs",
    )


# https://docs.stripe.com/api/prices/create#create_price-currency_options-tax_behavior
# https://docs.stripe.com/tax/products-prices-tax-codes-tax-behavior
def test_the_tax_behavior_is_the_currency_options_in_that_currency(stripe_client):
    """A USD price, tax exclusive, with a EUR option that includes tax: a German reader
    billed in EUR has the VAT taken out of the EUR amount, not added on top."""
    customer, _ = customer_with_card(stripe_client, address=BERLIN)
    product = stripe_client.v1.products.create(params={"name": "Digital news"})
    price = stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 999,
            "tax_behavior": "exclusive",
            "currency_options": {"eur": {"unit_amount": 999, "tax_behavior": "inclusive"}},
            "recurring": {"interval": "month"},
        }
    )
    invoice = subscribe(stripe_client, customer, price, currency="eur").latest_invoice
    _, tax = the_tax(invoice)
    assert (invoice.currency, tax.tax_behavior, tax.amount, invoice.total) == (
        "eur",
        "inclusive",
        160,
        999,
    )


# https://docs.stripe.com/billing/taxes/collect-taxes (discounts are taken before tax)
# https://docs.stripe.com/api/invoices/object#invoice_object-total_discount_amounts
def test_tax_is_computed_on_the_discounted_amount(stripe_client):
    customer, _ = customer_with_card(stripe_client, address=PARIS)
    price = make_price(stripe_client, "eur", 1000, "exclusive")
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 50, "duration": "forever"})
    invoice = subscribe(
        stripe_client, customer, price, discounts=[{"coupon": coupon.id}]
    ).latest_invoice
    line, tax = the_tax(invoice)
    # 10.00 less 50% is 5.00; French VAT of 20% on it is 1.00, added on top.
    assert [d.amount for d in line.discount_amounts] == [500]
    assert (tax.taxable_amount, tax.amount) == (500, 100)
    assert (invoice.subtotal, invoice.total, invoice.total_excluding_tax) == (1000, 600, 500)
