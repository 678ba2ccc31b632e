"""Validation as Stripe: emails, integers and their bounds, enums, booleans, timestamps,
string lengths. Each refusal is Stripe's 400 with its `code` and `param`, and the
refused request changes nothing. The Stripe page each rule follows is cited by the test.
"""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

DAY = 86400


def refused(call, *, param: str, code: str | None = None, message: str | None = None):
    with pytest.raises(stripe.InvalidRequestError) as err:
        call()
    assert err.value.http_status == 400
    assert err.value.param == param
    if code is not None:
        assert err.value.code == code
    if message is not None:
        assert err.value.user_message == message
    return err.value


# -- emails -----------------------------------------------------------------------
# https://docs.stripe.com/error-codes (email_invalid); the customer's `email` may be
# up to 512 characters: https://docs.stripe.com/api/customers/create#create_customer-email


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "reader@localhost", "reader@com", "a reader@example.com", " a@example.com"],
)
def test_an_address_stripe_refuses_is_email_invalid_and_creates_no_customer(stripe_client, email):
    refused(
        lambda: stripe_client.v1.customers.create(params={"email": email}),
        param="email",
        code="email_invalid",
        message=f"Invalid email address: {email}",
    )
    assert stripe_client.v1.customers.list().data == []


@pytest.mark.parametrize(
    "email",
    [
        "reader@example.com",
        "first.last+news@mail.example.co.uk",
        "leser@münchen.de",
        "someone@example.photography",
    ],
)
def test_ordinary_plus_subdomain_and_idn_addresses_pass(stripe_client, email):
    assert stripe_client.v1.customers.create(params={"email": email}).email == email


def test_an_update_to_a_refused_address_changes_nothing(stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "reader@example.com"})
    refused(
        lambda: stripe_client.v1.customers.update(
            customer.id, params={"email": "reader@localhost", "name": "Changed"}
        ),
        param="email",
        code="email_invalid",
    )
    again = stripe_client.v1.customers.retrieve(customer.id)
    assert (again.email, again.name) == ("reader@example.com", None)


def test_a_payment_methods_billing_email_is_checked_too(stripe_client):
    # https://docs.stripe.com/api/payment_methods/create#create_payment_method-billing_details-email
    refused(
        lambda: stripe_client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"token": "tok_visa"},
                "billing_details": {"email": "reader@localhost"},
            }
        ),
        param="billing_details[email]",
        code="email_invalid",
    )


# -- integers ---------------------------------------------------------------------
# https://docs.stripe.com/error-codes (parameter_invalid_integer)


def test_a_balance_that_is_not_an_integer_is_parameter_invalid_integer(stripe_client):
    refused(
        lambda: stripe_client.v1.customers.create(params={"balance": "abc"}),
        param="balance",
        code="parameter_invalid_integer",
        message="Invalid integer: abc",
    )


def test_a_negative_balance_is_a_credit_and_stored_as_sent(stripe_client):
    # https://docs.stripe.com/api/customers/create#create_customer-balance: "A negative
    # amount represents a credit that decreases the amount due on an invoice".
    customer = stripe_client.v1.customers.create(params={"balance": -500})
    assert customer.balance == -500
    assert stripe_client.v1.customers.update(customer.id, params={"balance": 250}).balance == 250


def test_a_price_amount_has_at_most_eight_digits_and_is_not_negative(stripe_client, price):
    # https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
    def create(amount):
        return stripe_client.v1.prices.create(
            params={"product": price.product, "currency": "usd", "unit_amount": amount}
        )

    assert create(99_999_999).unit_amount == 99_999_999
    refused(lambda: create(100_000_000), param="unit_amount")
    refused(lambda: create(-1), param="unit_amount", message="Invalid non-negative integer")
    refused(lambda: create("9.99"), param="unit_amount", code="parameter_invalid_integer")


def test_a_quantity_is_not_negative(stripe_client, price):
    # https://docs.stripe.com/api/subscriptions/create#create_subscription-items-quantity
    customer = stripe_client.v1.customers.create()
    refused(
        lambda: stripe_client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id, "quantity": -1}]}
        ),
        param="items[0][quantity]",
    )


@pytest.mark.parametrize("limit", [0, 101, "ten"])
def test_a_list_limit_is_between_1_and_100(stripe_client, limit):
    # https://docs.stripe.com/api/pagination: "limit ... can range between 1 and 100"
    refused(lambda: stripe_client.v1.customers.list(params={"limit": limit}), param="limit")
    assert stripe_client.v1.customers.list(params={"limit": 100}).data == []


def test_a_created_filter_must_be_an_integer(stripe_client):
    # https://docs.stripe.com/api/customers/list#list_customers-created
    refused(
        lambda: stripe_client.v1.customers.list(params={"created": {"gt": "yesterday"}}),
        param="created",
        code="parameter_invalid_integer",
    )


def test_a_recurring_interval_is_at_most_three_years(stripe_client, price):
    # https://docs.stripe.com/api/prices/create#create_price-recurring-interval_count
    # "Maximum of three years interval allowed (3 years, 36 months, or 156 weeks)."
    def create(interval, count):
        return stripe_client.v1.prices.create(
            params={
                "product": price.product,
                "currency": "usd",
                "unit_amount": 100,
                "recurring": {"interval": interval, "interval_count": count},
            }
        )

    assert create("week", 156).recurring.interval_count == 156
    refused(lambda: create("week", 157), param="recurring")
    refused(lambda: create("month", 0), param="recurring[interval_count]")


# -- enums and booleans -------------------------------------------------------------
# Stripe's wording: "Invalid interval: must be one of day, month, week, or year".


def test_an_enum_value_outside_its_choices_is_refused_in_stripes_words(stripe_client, price):
    # https://docs.stripe.com/api/customers/create#create_customer-tax_exempt
    refused(
        lambda: stripe_client.v1.customers.create(params={"tax_exempt": "sometimes"}),
        param="tax_exempt",
        message="Invalid tax_exempt: must be one of exempt, none, or reverse",
    )
    customer = stripe_client.v1.customers.create(params={"tax_exempt": "reverse"})
    assert customer.tax_exempt == "reverse"
    # https://docs.stripe.com/api/subscriptions/create#create_subscription-collection_method
    refused(
        lambda: stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price.id}],
                "collection_method": "by_post",
            }
        ),
        param="collection_method",
        message="Invalid collection_method: must be one of charge_automatically or send_invoice",
    )


def test_nested_and_list_filter_enums_are_checked(stripe_client, price):
    customer = stripe_client.v1.customers.create()
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 30}
    )
    # https://docs.stripe.com/api/subscriptions/update#update_subscription-cancellation_details-feedback
    refused(
        lambda: stripe_client.v1.subscriptions.update(
            sub.id, params={"cancellation_details": {"feedback": "meh"}, "metadata": {"a": "1"}}
        ),
        param="cancellation_details[feedback]",
    )
    assert stripe_client.v1.subscriptions.retrieve(sub.id).metadata.to_dict() == {}
    # https://docs.stripe.com/api/invoices/list#list_invoices-status
    refused(lambda: stripe_client.v1.invoices.list(params={"status": "late"}), param="status")
    # https://docs.stripe.com/api/customers/create#create_customer-invoice_settings-rendering_options
    refused(
        lambda: stripe_client.v1.customers.update(
            customer.id,
            params={"invoice_settings": {"rendering_options": {"amount_tax_display": "x"}}},
        ),
        param="invoice_settings[rendering_options][amount_tax_display]",
    )


def test_a_boolean_is_true_or_false(stripe_client, price):
    # https://docs.stripe.com/api/subscriptions/create#create_subscription-off_session
    customer = stripe_client.v1.customers.create()
    refused(
        lambda: stripe_client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}], "off_session": "yes"}
        ),
        param="off_session",
        message="Invalid boolean: yes",
    )
    assert stripe_client.v1.subscriptions.list().data == []


# -- timestamps ---------------------------------------------------------------------
# https://docs.stripe.com/api/subscriptions/create#create_subscription-trial_end: a
# future timestamp, or `now`; "Can be at most two years from billing_cycle_anchor".


def test_trial_end_is_in_the_future_within_two_years_or_now(stripe_emulator, stripe_client, price):
    customer = stripe_client.v1.customers.create()
    now = stripe_emulator.clock()

    def create(trial_end):
        return stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price.id}],
                "trial_end": trial_end,
                "payment_behavior": "default_incomplete",
            }
        )

    refused(lambda: create(now - DAY), param="trial_end")
    refused(lambda: create(now + 731 * DAY), param="trial_end")
    refused(lambda: create("tomorrow"), param="trial_end", code="parameter_invalid_integer")
    assert create(now + 30 * DAY).trial_end == now + 30 * DAY
    assert create("now").status != "trialing"


# -- string lengths -------------------------------------------------------------------


def test_a_lookup_key_is_at_most_200_characters(stripe_client, price):
    # https://docs.stripe.com/api/prices/create#create_price-lookup_key
    def create(key):
        return stripe_client.v1.prices.create(
            params={
                "product": price.product,
                "currency": "usd",
                "unit_amount": 100,
                "lookup_key": key,
            }
        )

    assert create("k" * 200).lookup_key == "k" * 200
    refused(lambda: create("l" * 201), param="lookup_key")


def test_a_statement_descriptor_is_at_most_22_characters_without_special_ones(stripe_client):
    # https://docs.stripe.com/api/products/create#create_product-statement_descriptor
    refused(
        lambda: stripe_client.v1.products.create(
            params={"name": "Gold", "statement_descriptor": "THE DAILY PAPER GOLD PLAN"}
        ),
        param="statement_descriptor",
        message="The statement descriptor must be at most 22 characters. "
        "THE DAILY PAPER GOLD PLAN is 25 characters long.",
    )
    refused(
        lambda: stripe_client.v1.products.create(
            params={"name": "Gold", "statement_descriptor": "DAILY <GOLD>"}
        ),
        param="statement_descriptor",
    )
    assert stripe_client.v1.products.list().data == []


def test_customer_description_and_invoice_custom_fields_have_stripes_lengths(stripe_client):
    # https://docs.stripe.com/changelog/2018-10-31/descriptions-customers-character-limit
    refused(
        lambda: stripe_client.v1.customers.create(params={"description": "d" * 351}),
        param="description",
    )
    # https://docs.stripe.com/api/customers/create#create_customer-invoice_settings-custom_fields
    refused(
        lambda: stripe_client.v1.customers.create(
            params={"invoice_settings": {"custom_fields": [{"name": "n" * 41, "value": "v"}]}}
        ),
        param="invoice_settings[custom_fields][0][name]",
    )


def test_price_enums_and_a_proration_date_are_checked(stripe_client, price):
    # https://docs.stripe.com/api/prices/list#list_prices-type
    refused(lambda: stripe_client.v1.prices.list(params={"type": "monthly"}), param="type")
    refused(
        lambda: stripe_client.v1.prices.list(params={"recurring": {"interval": "fortnight"}}),
        param="recurring[interval]",
        message="Invalid recurring[interval]: must be one of day, week, month, or year",
    )
    # https://docs.stripe.com/api/prices/create#create_price-billing_scheme
    refused(
        lambda: stripe_client.v1.prices.create(
            params={
                "product": price.product,
                "currency": "usd",
                "unit_amount": 100,
                "billing_scheme": "per_seat",
            }
        ),
        param="billing_scheme",
    )
    # https://docs.stripe.com/api/subscriptions/update#update_subscription-proration_date
    customer = stripe_client.v1.customers.create()
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 30}
    )
    refused(
        lambda: stripe_client.v1.subscriptions.update(sub.id, params={"proration_date": "today"}),
        param="proration_date",
        code="parameter_invalid_integer",
    )
