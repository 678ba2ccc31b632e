"""Products, prices, customers, payment methods and setup intents through the SDK."""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from stripe_emulator.resources.cards import TEST_CARDS
from tests.helpers.stripe_emulator import customer_with_card

# -- products and prices --------------------------------------------------------


def test_product_and_price_lifecycle(stripe_client):
    product = stripe_client.v1.products.create(
        params={"name": "Digital", "metadata": {"plan": "digital"}}
    )
    assert product.object == "product"
    assert product.active is True
    assert product.metadata.to_dict() == {"plan": "digital"}
    price = stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "eur",
            "unit_amount": 9990,
            "recurring": {"interval": "year"},
            "lookup_key": "digital_yearly",
        }
    )
    assert price.type == "recurring"
    assert price.recurring.interval == "year"
    assert price.recurring.interval_count == 1
    assert price.unit_amount == 9990
    assert stripe_client.v1.prices.retrieve(price.id).lookup_key == "digital_yearly"
    found = stripe_client.v1.prices.list(params={"lookup_keys": ["digital_yearly"]}).data
    assert [p.id for p in found] == [price.id]

    archived = stripe_client.v1.prices.update(price.id, params={"active": False})
    assert archived.active is False
    assert stripe_client.v1.prices.list(params={"active": True}).data == []
    renamed = stripe_client.v1.products.update(product.id, params={"name": "Digital+"})
    assert renamed.name == "Digital+"
    assert stripe_client.v1.products.retrieve(product.id).name == "Digital+"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.products.delete(product.id)


def test_price_with_product_data_and_one_time(stripe_client):
    price = stripe_client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 500, "product_data": {"name": "Gift"}}
    )
    assert price.type == "one_time"
    assert price.recurring is None
    assert stripe_client.v1.products.retrieve(price.product).name == "Gift"


def test_lookup_key_is_unique_unless_transferred(stripe_client, price):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.prices.create(
            params={
                "product": price.product,
                "currency": "usd",
                "unit_amount": 1299,
                "recurring": {"interval": "month"},
                "lookup_key": "gold_monthly",
            }
        )
    assert caught.value.param == "lookup_key"
    moved = stripe_client.v1.prices.create(
        params={
            "product": price.product,
            "currency": "usd",
            "unit_amount": 1299,
            "recurring": {"interval": "month"},
            "lookup_key": "gold_monthly",
            "transfer_lookup_key": True,
        }
    )
    assert moved.lookup_key == "gold_monthly"
    assert stripe_client.v1.prices.retrieve(price.id).lookup_key is None


def test_product_without_prices_can_be_deleted(stripe_client):
    product = stripe_client.v1.products.create(params={"name": "Tmp"})
    deleted = stripe_client.v1.products.delete(product.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.products.retrieve(product.id)


# -- customers -----------------------------------------------------------------


def test_customer_create_retrieve_update_delete(stripe_client):
    customer = stripe_client.v1.customers.create(
        params={"email": "reader@example.com", "name": "Ada", "metadata": {"user_id": "42"}}
    )
    assert customer.id.startswith("cus_")
    assert customer.email == "reader@example.com"
    assert customer.invoice_settings.default_payment_method is None
    assert customer.test_clock is None
    fetched = stripe_client.v1.customers.retrieve(customer.id)
    assert fetched.metadata.to_dict() == {"user_id": "42"}
    updated = stripe_client.v1.customers.update(
        customer.id, params={"email": "new@example.com", "metadata": {"user_id": ""}}
    )
    assert updated.email == "new@example.com"
    assert updated.metadata.to_dict() == {}
    deleted = stripe_client.v1.customers.delete(customer.id)
    assert deleted.deleted is True
    again = stripe_client.v1.customers.retrieve(customer.id)
    assert again.deleted is True
    assert stripe_client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.update(customer.id, params={"name": "x"})


def test_customer_default_payment_method_must_be_attached(stripe_client):
    customer = stripe_client.v1.customers.create(params={})
    other = stripe_client.v1.customers.create(params={})
    pm = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": other.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
        )
    assert caught.value.param == "invoice_settings[default_payment_method]"
    customer, own = customer_with_card(stripe_client)
    assert customer.invoice_settings.default_payment_method == own.id


def test_customer_on_a_test_clock_lives_in_its_time(stripe_client):
    clock = stripe_client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_700_000_000})
    customer = stripe_client.v1.customers.create(params={"test_clock": clock.id})
    assert customer.test_clock == clock.id
    assert customer.created == 1_700_000_000
    assert stripe_client.v1.customers.list().data == []
    on_clock = stripe_client.v1.customers.list(params={"test_clock": clock.id}).data
    assert [c.id for c in on_clock] == [customer.id]


# -- payment methods -------------------------------------------------------------

ATTACHABLE = [
    ("pm_card_visa", "visa", "4242", "credit"),
    ("pm_card_visa_debit", "visa", "5556", "debit"),
    ("pm_card_mastercard", "mastercard", "4444", "credit"),
    ("pm_card_amex", "amex", "0005", "credit"),
    ("pm_card_discover", "discover", "1117", "credit"),
    ("pm_card_chargeCustomerFail", "visa", "0341", "credit"),
    ("pm_card_authenticationRequired", "visa", "3184", "credit"),
]


@pytest.mark.parametrize(("token", "brand", "last4", "funding"), ATTACHABLE)
def test_test_tokens_attach_with_their_card(stripe_client, token, brand, last4, funding):
    customer = stripe_client.v1.customers.create(params={})
    pm = stripe_client.v1.payment_methods.attach(token, params={"customer": customer.id})
    assert pm.id.startswith("pm_")
    assert pm.id != token
    assert pm.customer == customer.id
    assert pm.type == "card"
    assert (pm.card.brand, pm.card.last4, pm.card.funding) == (brand, last4, funding)
    assert stripe_client.v1.payment_methods.retrieve(pm.id).customer == customer.id


DECLINED = [
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
    ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", None),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", None),
    ("pm_card_chargeDeclinedProcessingError", "processing_error", None),
]


@pytest.mark.parametrize(("token", "code", "decline_code"), DECLINED)
def test_declining_tokens_cannot_be_attached(stripe_client, token, code, decline_code):
    customer = stripe_client.v1.customers.create(params={})
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_methods.attach(token, params={"customer": customer.id})
    assert caught.value.code == code
    assert caught.value.error.decline_code == decline_code
    assert stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data == []


def test_each_card_number_has_its_own_stable_fingerprint(stripe_client):
    customer = stripe_client.v1.customers.create(params={})
    one = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    two = stripe_client.v1.payment_methods.retrieve("pm_card_visa")
    assert two.id != one.id
    assert two.customer is None
    assert one.card.fingerprint == two.card.fingerprint
    numbers = {card.number: card.fingerprint for card in TEST_CARDS.values()}
    assert len(set(numbers.values())) == len(numbers)
    master = stripe_client.v1.payment_methods.retrieve("pm_card_mastercard")
    assert master.card.fingerprint != one.card.fingerprint


def test_attach_detach_list(stripe_client):
    customer, pm = customer_with_card(stripe_client)
    second = stripe_client.v1.payment_methods.attach(
        "pm_card_mastercard", params={"customer": customer.id}
    )
    listed = stripe_client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
    assert [p.id for p in listed.data] == [second.id, pm.id]
    via_customer = stripe_client.v1.customers.payment_methods.list(customer.id)
    assert [p.id for p in via_customer.data] == [second.id, pm.id]
    detached = stripe_client.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    refreshed = stripe_client.v1.customers.retrieve(customer.id)
    assert refreshed.invoice_settings.default_payment_method is None
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_methods.detach(pm.id)
    other = stripe_client.v1.customers.create(params={})
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_methods.attach(second.id, params={"customer": other.id})


def test_payment_method_create_from_token(stripe_client):
    pm = stripe_client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_mastercard"}}
    )
    assert pm.card.brand == "mastercard"


# -- setup intents ------------------------------------------------------------------


def test_setup_intent_confirm_saves_the_card(stripe_client):
    customer = stripe_client.v1.customers.create(params={})
    seti = stripe_client.v1.setup_intents.create(params={"customer": customer.id})
    assert seti.status == "requires_payment_method"
    assert seti.client_secret.startswith(seti.id + "_secret_")
    assert seti.usage == "off_session"
    confirmed = stripe_client.v1.setup_intents.confirm(
        seti.id, params={"payment_method": "pm_card_visa"}
    )
    assert confirmed.status == "succeeded"
    pm = stripe_client.v1.payment_methods.retrieve(confirmed.payment_method)
    assert pm.customer == customer.id
    assert stripe_client.v1.setup_intents.retrieve(seti.id).status == "succeeded"


def test_setup_intent_with_declining_card_raises_card_error(stripe_client):
    customer = stripe_client.v1.customers.create(params={})
    seti = stripe_client.v1.setup_intents.create(params={"customer": customer.id})
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.setup_intents.confirm(
            seti.id, params={"payment_method": "pm_card_visa_chargeDeclined"}
        )
    assert caught.value.json_body["error"]["setup_intent"]["id"] == seti.id
    after = stripe_client.v1.setup_intents.retrieve(seti.id)
    assert after.status == "requires_payment_method"
    assert after.last_setup_error.decline_code == "generic_decline"


def test_setup_intent_with_3ds_card_requires_action(stripe_client):
    customer = stripe_client.v1.customers.create(params={})
    seti = stripe_client.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
        }
    )
    assert seti.status == "requires_action"
    assert seti.next_action.type == "use_stripe_sdk"


# -- a refused request changes nothing ----------------------------------------------


def test_customer_with_a_refused_card_is_not_created(stripe_client):
    with pytest.raises(stripe.CardError):
        stripe_client.v1.customers.create(
            params={
                "email": "x@example.com",
                "payment_method": "pm_card_visa_chargeDeclined",
                "invoice_settings": {"default_payment_method": "pm_card_visa_chargeDeclined"},
            }
        )
    assert stripe_client.v1.customers.list().data == []
    assert stripe_client.v1.payment_methods.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.create(
            params={"invoice_settings": {"default_payment_method": "pm_card_visa"}}
        )
    assert caught.value.param == "invoice_settings[default_payment_method]"
    assert stripe_client.v1.customers.list().data == []


def test_refused_product_and_price_creates_leave_nothing_behind(stripe_client, price):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.products.create(
            params={"name": "Half", "default_price_data": {"unit_amount": 100}}
        )
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 100,
                "product_data": {"name": "Dup"},
                "lookup_key": "gold_monthly",
            }
        )
    assert [p.name for p in stripe_client.v1.products.list().data] == ["Gold"]
