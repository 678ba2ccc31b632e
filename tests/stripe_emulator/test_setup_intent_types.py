"""Which payment method types a SetupIntent may set up, in the pinned version's parameters.

Since 2026-09-30.endive Stripe no longer takes `payment_method_types` on create: it answers
400 `payment_method_types_no_longer_supported`, and `allowed_payment_method_types` /
`excluded_payment_method_types` take its place (the object still shows the result in
`payment_method_types`). The emulator serves cards only, and says so for any other type.
"""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - tests drive the emulator through the official SDK


def test_allowed_card_is_accepted_and_shown(stripe_client):
    # https://docs.stripe.com/api/setup_intents/create#create_setup_intent-allowed_payment_method_types
    customer = stripe_client.v1.customers.create(params={"email": "reader@example.com"})
    seti = stripe_client.v1.setup_intents.create(
        params={"customer": customer.id, "allowed_payment_method_types": ["card"]}
    )
    assert seti.payment_method_types == ["card"]
    assert seti.allowed_payment_method_types == ["card"]
    again = stripe_client.v1.setup_intents.retrieve(seti.id)
    assert again.payment_method_types == ["card"]


def test_by_default_a_setup_intent_sets_up_cards(stripe_client):
    # https://docs.stripe.com/api/setup_intents/object#setup_intent_object-payment_method_types
    seti = stripe_client.v1.setup_intents.create(params={})
    assert seti.payment_method_types == ["card"]
    assert seti.allowed_payment_method_types is None


def test_payment_method_types_is_no_longer_a_parameter(stripe_client):
    # https://docs.stripe.com/changelog/endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.setup_intents.create(params={"payment_method_types": ["card"]})
    assert caught.value.http_status == 400
    assert caught.value.code == "payment_method_types_no_longer_supported"
    assert caught.value.param == "payment_method_types"
    assert "allowed_payment_method_types" in caught.value.user_message


def test_a_type_stripe_knows_but_the_emulator_does_not_serve_is_refused_loudly(stripe_client):
    # Known difference (stripe_emulator/README.md): Stripe would set up SEPA debits.
    # https://docs.stripe.com/api/setup_intents/create#create_setup_intent-allowed_payment_method_types
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.setup_intents.create(
            params={"allowed_payment_method_types": ["card", "sepa_debit"]}
        )
    assert caught.value.param == "allowed_payment_method_types[1]"
    assert "sepa_debit" in caught.value.user_message
    assert "serves card only" in caught.value.user_message


def test_an_unknown_type_is_an_invalid_enum(stripe_client):
    # https://docs.stripe.com/api/setup_intents/create#create_setup_intent-allowed_payment_method_types
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.setup_intents.create(params={"allowed_payment_method_types": ["cheque"]})
    assert caught.value.param == "allowed_payment_method_types[0]"
    assert caught.value.user_message.startswith(
        "Invalid allowed_payment_method_types[0]: must be one of"
    )


def test_allowed_and_excluded_are_exclusive(stripe_client):
    # https://docs.stripe.com/changelog/dahlia/2026-07-29/allowed-payment-method-types-parameter
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.setup_intents.create(
            params={
                "allowed_payment_method_types": ["card"],
                "excluded_payment_method_types": ["card"],
            }
        )
    assert caught.value.code == "parameters_exclusive"
