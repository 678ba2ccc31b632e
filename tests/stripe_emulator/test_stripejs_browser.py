"""The Stripe.js stand-in in a real browser: a publisher's page on its own origin loads
/v3/ from the emulator, mounts a card Element and confirms intents made with the secret
key, as it would with Stripe.js and Stripe's test cards (https://docs.stripe.com/testing:
4242 4242 4242 4242 succeeds, 4000 0025 0000 3155 asks for 3-D Secure, 4000 0000 0000
0002 is declined).

Playwright drives Debian's chromium (tests/helpers/browser.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.browser import StaticSite, chromium_page
from tests.helpers.stripe_emulator import monthly_price

pytestmark = pytest.mark.e2e

PAGE = (Path(__file__).parent / "pages" / "card_form.html").read_text()
CHALLENGE = 'iframe[title="3D Secure authentication"]'


@pytest.fixture
def page():
    with chromium_page() as browser_page:
        yield browser_page


@pytest.fixture
def site(stripe_emulator):
    with StaticSite(PAGE.replace("{{STRIPE_JS}}", stripe_emulator.stripe_js_url)) as static:
        yield static


@pytest.fixture
def customer(stripe_client):
    return stripe_client.v1.customers.create(params={"email": "reader@example.com"})


@pytest.fixture
def setup_intent(stripe_client, customer):
    return stripe_client.v1.setup_intents.create(params={"customer": customer.id})


def open_form(page, site, emulator, secret: str, mode: str = "setup") -> None:
    query = f"key={emulator.publishable_key}&secret={secret}&mode={mode}"
    page.goto(f"{site.url}/?{query}")
    page.wait_for_selector("[data-elements-stable-field-name=cardNumber]")


def type_card(page, number: str, expiry: str = "12 / 34", cvc: str = "123") -> None:
    page.fill("[data-elements-stable-field-name=cardNumber]", number)
    page.fill("[data-elements-stable-field-name=cardExpiry]", expiry)
    page.fill("[data-elements-stable-field-name=cardCvc]", cvc)


def submit(page) -> None:
    page.click("#submit")


def result(page) -> dict:
    page.wait_for_function("document.getElementById('result').textContent !== ''")
    return json.loads(page.text_content("#result"))


def event_types(client) -> list[str]:
    return [event.type for event in client.v1.events.list(params={"limit": 100}).data]


def test_a_card_saved_through_the_stand_in_succeeds_and_never_reaches_the_page_server(
    page, site, stripe_emulator, stripe_client, setup_intent, customer
):
    open_form(page, site, stripe_emulator, setup_intent.client_secret)
    type_card(page, "4242 4242 4242 4242")
    assert page.get_attribute("body", "data-complete") == "true"
    submit(page)

    outcome = result(page)
    assert outcome["setupIntent"]["status"] == "succeeded"
    pm = stripe_client.v1.payment_methods.retrieve(outcome["setupIntent"]["payment_method"])
    assert (pm.card.last4, pm.customer) == ("4242", customer.id)
    assert pm.billing_details.name == "Ada Reader"
    # The card went to the emulator with the publishable key, never to the page's server.
    creations = [r for r in stripe_emulator.requests() if r["path"] == "/v1/payment_methods"]
    assert [r.get("key") for r in creations] == ["publishable"]
    assert all(b"4242" not in path.encode() + body for _, path, body in site.received)
    assert all(method == "GET" for method, _, _ in site.received)


def test_a_declined_card_gives_stripes_decline_error(page, site, stripe_emulator, setup_intent):
    open_form(page, site, stripe_emulator, setup_intent.client_secret)
    type_card(page, "4000 0000 0000 0002")
    submit(page)

    error = result(page)["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert error["message"] == "Your card was declined."
    assert error["setup_intent"]["status"] == "requires_payment_method"


def test_a_3d_secure_card_shows_the_challenge_and_succeeds_when_approved(
    page, site, stripe_emulator, stripe_client, setup_intent
):
    open_form(page, site, stripe_emulator, setup_intent.client_secret)
    type_card(page, "4000 0025 0000 3155")
    submit(page)

    challenge = page.frame_locator(CHALLENGE)
    challenge.get_by_role("heading", name="3D Secure 2 Test Page").wait_for()
    assert page.text_content("#result") == ""  # nothing settled while the reader decides
    challenge.get_by_role("button", name="Complete authentication").click()

    outcome = result(page)
    assert outcome["setupIntent"]["status"] == "succeeded"
    assert page.locator(CHALLENGE).count() == 0
    seti = stripe_client.v1.setup_intents.retrieve(setup_intent.id)
    assert seti.status == "succeeded"
    assert {"setup_intent.requires_action", "setup_intent.succeeded"} <= set(
        event_types(stripe_client)
    )


def test_a_failed_3d_secure_challenge_resolves_to_stripes_authentication_error(
    page, site, stripe_emulator, stripe_client, setup_intent
):
    open_form(page, site, stripe_emulator, setup_intent.client_secret)
    type_card(page, "4000 0025 0000 3155")
    submit(page)
    page.frame_locator(CHALLENGE).get_by_role("button", name="Fail authentication").click()

    error = result(page)["error"]
    assert error["code"] == "setup_intent_authentication_failure"
    assert error["setup_intent"]["status"] == "requires_payment_method"
    assert stripe_client.v1.setup_intents.retrieve(setup_intent.id).status == (
        "requires_payment_method"
    )
    assert "setup_intent.setup_failed" in event_types(stripe_client)


def test_a_3d_secure_payment_approved_pays_the_invoice(
    page, site, stripe_emulator, stripe_client, customer
):
    product = stripe_client.v1.products.create(params={"name": "Digital"})
    price = monthly_price(stripe_client, product.id, 999)
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice"],
        }
    )
    secret = sub.latest_invoice.confirmation_secret.client_secret
    open_form(page, site, stripe_emulator, secret, mode="payment")
    type_card(page, "4000 0025 0000 3155")
    submit(page)
    page.frame_locator(CHALLENGE).get_by_role("button", name="Complete authentication").click()

    outcome = result(page)
    assert outcome["paymentIntent"]["status"] == "succeeded"
    assert outcome["paymentIntent"]["amount"] == 999
    assert stripe_client.v1.invoices.retrieve(sub.latest_invoice.id).status == "paid"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert {"payment_intent.succeeded", "invoice.paid"} <= set(event_types(stripe_client))


def test_the_card_element_reports_an_invalid_number_as_stripe_js_does(
    page, site, stripe_emulator, setup_intent
):
    open_form(page, site, stripe_emulator, setup_intent.client_secret)
    type_card(page, "4242 4242 4242 4241")
    assert page.text_content("#card-errors") == "Your card number is invalid."
    assert page.get_attribute("body", "data-complete") == "false"
    submit(page)
    error = result(page)["error"]
    assert (error["type"], error["code"]) == ("validation_error", "invalid_number")
    # Nothing was sent: an incomplete or invalid card never leaves the page.
    assert not [r for r in stripe_emulator.requests() if r["path"] == "/v1/payment_methods"]
