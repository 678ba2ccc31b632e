"""Stripe Tax: the reader's country (and postal code, VAT number) at trial start and
subscribe, the tax Stripe computes from it, and net, tax and total in our answers.

The plans' price has no tax behavior of its own yet, so the emulator's account carries
Stripe Tax's default (exclusive: tax added to the price), as a publisher sets it in
Stripe's tax settings. Rates: the emulator's table (DE 19%, GB 20%, US 0).
"""

import pytest

from billing.models import Customer, StripeAttempt, Subscription
from billing.services import customer_ensure
from tests.helpers.billing import sync
from tests.helpers.tax import invoices, subscribe_from, taxed, trial_from
from tests.stripe_time import past_trial_end

pytestmark = pytest.mark.django_db


def remote_customer(stripe_sdk, reader):
    return stripe_sdk.v1.customers.retrieve(
        reader.billing_customer.stripe_customer_id, params={"expand": ["tax"]}
    )


def refused(response, status, code):
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code, response.json()
    return response.json()


def test_a_german_readers_trial_converts_with_german_vat(
    plans, reader, reader_client, stripe, stripe_sdk
):
    taxed(stripe)
    trial = trial_from(reader_client, country="DE")
    assert trial.status_code == 201, trial.json()
    remote = stripe_sdk.v1.subscriptions.retrieve(trial.json()["id"])
    assert remote.automatic_tax.enabled is True
    customer = remote_customer(stripe_sdk, reader)
    assert customer.address.country == "DE"
    assert customer.tax.automatic_tax == "supported"

    past_trial_end(stripe, trial.json())
    sync(trial.json()["id"])

    charged = next(inv for inv in invoices(reader_client) if inv["total"])
    assert charged["status"] == "paid"
    assert charged["currency"] == "usd"
    assert charged["subtotal"] == 999
    assert charged["tax"] == 190  # 19% of 9.99
    assert charged["subtotal"] + charged["tax"] == charged["total"] == charged["amount_paid"]
    assert charged["reverse_charge"] is False
    # Written for a reader in Germany.
    assert charged["total_display"] == "11,89\xa0$"
    assert charged["tax_display"] == "1,90\xa0$"
    latest = reader_client.get("/api/billing/subscription/").json()["latest_invoice"]
    assert (latest["subtotal"], latest["tax"], latest["total"]) == (999, 190, 1189)
    assert latest["total_display"] == "11,89\xa0$"


def test_a_us_reader_with_a_zip_code_pays_no_tax(plans, reader, reader_client, stripe, stripe_sdk):
    taxed(stripe)
    response = subscribe_from(reader_client, country="us", postal_code="10001")

    assert response.status_code == 201, response.json()
    assert stripe_sdk.v1.subscriptions.retrieve(response.json()["id"]).automatic_tax.enabled
    latest = response.json()["latest_invoice"]
    assert (latest["subtotal"], latest["tax"], latest["total"]) == (999, 0, 999)
    assert latest["total_display"] == "$9.99"
    assert Customer.objects.get(user=reader).country == "US"
    assert remote_customer(stripe_sdk, reader).address.postal_code == "10001"


def test_a_british_reader_pays_twenty_percent(plans, reader, reader_client, stripe):
    taxed(stripe)
    response = subscribe_from(reader_client, country="GB")

    assert response.status_code == 201, response.json()
    latest = response.json()["latest_invoice"]
    assert (latest["subtotal"], latest["tax"], latest["total"]) == (999, 200, 1199)
    assert latest["tax_display"] == "US$2.00"
    (invoice,) = invoices(reader_client)
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (999, 200, 1199)


def test_a_us_reader_without_a_zip_code_is_told_before_anything_is_made(
    plans, reader, reader_client, stripe
):
    body = refused(trial_from(reader_client, country="US"), 400, "tax_location_invalid")

    assert "postal_code" in body["fields"]
    assert not Customer.objects.exists()
    assert not StripeAttempt.objects.filter(operation="subscription.create").exists()


def test_an_address_stripe_tax_cannot_place_is_a_400_naming_the_field(
    plans, reader, reader_client, stripe, stripe_sdk
):
    taxed(stripe)
    body = refused(
        subscribe_from(reader_client, country="US", postal_code="ABCDE"),
        400,
        "tax_location_invalid",
    )

    assert "postal_code" in body["fields"]
    assert not Subscription.objects.exists()
    # The request can be made again, corrected.
    assert subscribe_from(reader_client, country="US", postal_code="94105").status_code == 201


@pytest.mark.parametrize("country", ["Germany", "D", "1A", "de-DE"])
def test_a_malformed_country_is_invalid_country(plans, reader, reader_client, stripe, country):
    body = refused(trial_from(reader_client, country=country), 400, "invalid_country")

    assert "country" in body["fields"]
    assert not Customer.objects.exists()


def test_a_business_reader_in_another_eu_country_is_reverse_charged(
    plans, reader, reader_client, stripe, stripe_sdk
):
    taxed(stripe)
    response = subscribe_from(reader_client, country="FR", vat_id="fr 40 303 265 045")

    assert response.status_code == 201, response.json()
    latest = response.json()["latest_invoice"]
    assert (latest["subtotal"], latest["tax"], latest["total"]) == (999, 0, 999)
    assert latest["reverse_charge"] is True
    customer = reader.billing_customer.stripe_customer_id
    tax_ids = stripe_sdk.v1.customers.tax_ids.list(customer).data
    assert [(t.type, t.value) for t in tax_ids] == [("eu_vat", "FR40303265045")]


def test_a_vat_number_names_the_readers_country_when_they_give_none(
    plans, reader, reader_client, stripe
):
    taxed(stripe)
    response = subscribe_from(reader_client, vat_id="GB980780684")

    assert response.status_code == 201, response.json()
    assert Customer.objects.get(user=reader).country == "GB"


@pytest.mark.parametrize(
    "where",
    [
        {"country": "FR", "vat_id": "FR12345"},  # too short
        {"country": "FR", "vat_id": "FR40303265046"},  # a wrong check digit
        {"country": "DE", "vat_id": "FR40303265045"},  # another country's
        {"country": "US", "postal_code": "10001", "vat_id": "US123456789"},
    ],
)
def test_a_malformed_vat_number_is_invalid_vat_id(plans, reader, reader_client, stripe, where):
    body = refused(subscribe_from(reader_client, **where), 400, "invalid_vat_id")

    assert "vat_id" in body["fields"]
    assert not Customer.objects.exists()
    assert not StripeAttempt.objects.filter(operation="subscription.create").exists()


@pytest.mark.parametrize("dropped", ["address", "tax_id"])
def test_a_retried_trial_start_leaves_one_address_and_one_tax_id(
    plans, reader, reader_client, stripe, stripe_sdk, dropped
):
    taxed(stripe)
    customer = customer_ensure(user=reader).stripe_customer_id
    # Stripe makes the write, then the connection drops before we hear back.
    path = f"/v1/customers/{customer}" + ("/tax_ids" if dropped == "tax_id" else "")
    stripe.fault("drop_after", count=1, path=path)
    where = {"country": "FR", "vat_id": "FR40303265045"}

    lost = trial_from(reader_client, **where)
    retried = trial_from(reader_client, **where)

    assert lost.status_code == 503
    assert retried.status_code == 201, retried.json()
    assert len(stripe_sdk.v1.customers.tax_ids.list(customer).data) == 1
    assert remote_customer(stripe_sdk, reader).address.country == "FR"
    assert len(stripe_sdk.v1.subscriptions.list(params={"customer": customer}).data) == 1
    writes = [
        r
        for r in stripe.requests()
        if r.get("method") == "POST" and r.get("path", "").startswith(f"/v1/customers/{customer}")
    ]
    # The retry sent the lost request's writes again under their keys (Stripe replays).
    keys = {r.get("idempotency_key", "").rsplit(":", 1)[-1] for r in writes}
    assert keys == {"customer.tax_location", "customer.tax_id", "customer.default_payment_method"}
    assert len({r.get("idempotency_key") for r in writes}) == 3


def test_the_cdn_country_header_is_used_only_when_configured(
    plans, reader, reader_client, stripe, settings
):
    taxed(stripe)
    settings.GEO_COUNTRY_HEADER = "CF-IPCountry"

    response = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
        HTTP_CF_IPCOUNTRY="GB",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["latest_invoice"]["tax"] == 200
    assert Customer.objects.get(user=reader).country == "GB"


@pytest.mark.parametrize("header", ["T1", "XX", "US"])
def test_a_header_that_cannot_place_the_reader_is_no_location(
    plans, reader, reader_client, stripe, stripe_sdk, settings, header
):
    settings.GEO_COUNTRY_HEADER = "CF-IPCountry"

    response = reader_client.post(
        "/api/billing/trial/", {"plan": "monthly"}, format="json", HTTP_CF_IPCOUNTRY=header
    )

    assert response.status_code == 201, response.json()
    assert Customer.objects.get(user=reader).country == ""
    assert not stripe_sdk.v1.subscriptions.retrieve(response.json()["id"]).automatic_tax.enabled


def test_an_unconfigured_header_is_not_trusted(plans, reader, reader_client, stripe, settings):
    settings.GEO_COUNTRY_HEADER = ""

    response = reader_client.post(
        "/api/billing/trial/", {"plan": "monthly"}, format="json", HTTP_CF_IPCOUNTRY="DE"
    )

    assert response.status_code == 201
    assert Customer.objects.get(user=reader).country == ""


def test_a_reader_who_says_nowhere_is_charged_without_stripe_tax(
    plans, reader, reader_client, stripe, stripe_sdk
):
    response = subscribe_from(reader_client)

    assert response.status_code == 201, response.json()
    assert not stripe_sdk.v1.subscriptions.retrieve(response.json()["id"]).automatic_tax.enabled
    latest = response.json()["latest_invoice"]
    assert (latest["subtotal"], latest["tax"], latest["total"]) == (999, 0, 999)


def test_with_stripe_tax_off_the_location_is_kept_but_no_tax_computed(
    plans, reader, reader_client, stripe, stripe_sdk, settings
):
    settings.STRIPE_TAX_ENABLED = False

    response = subscribe_from(reader_client, country="DE")

    assert response.status_code == 201, response.json()
    assert not stripe_sdk.v1.subscriptions.retrieve(response.json()["id"]).automatic_tax.enabled
    assert Customer.objects.get(user=reader).country == "DE"


def test_an_offer_trial_carries_the_location_too(plans, reader, reader_client, stripe, stripe_sdk):
    from tests.helpers.offers import create_offer

    taxed(stripe)
    create_offer("--code", "TAXED", "--percent-off", "20", "--headline", "20% off")

    response = trial_from(reader_client, country="GB", offer="TAXED")

    assert response.status_code == 201, response.json()
    assert stripe_sdk.v1.subscriptions.retrieve(response.json()["id"]).automatic_tax.enabled
    assert Customer.objects.get(user=reader).country == "GB"


def test_a_vat_number_given_again_later_is_not_added_twice(
    plans, reader, reader_client, stripe, stripe_sdk
):
    taxed(stripe)
    where = {"country": "FR", "vat_id": "FR40303265045"}
    assert subscribe_from(reader_client, **where).status_code == 201
    ended = reader_client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": False, "reason": "other"},
        format="json",
    )
    assert ended.status_code == 200, ended.json()

    again = subscribe_from(reader_client, **where)

    assert again.status_code == 201, again.json()
    customer = reader.billing_customer.stripe_customer_id
    assert len(stripe_sdk.v1.customers.tax_ids.list(customer).data) == 1
    assert again.json()["latest_invoice"]["reverse_charge"] is True
