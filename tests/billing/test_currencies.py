"""Prices in the reader's currency: chosen from the reader's country (explicit, else the
configured geo header, else the default), charged in it, and locked to the currency of
a live subscription as Stripe locks the customer's."""

from __future__ import annotations

import pytest

from billing.models import Customer, PlanPrice, Subscription
from billing.services import plan_sync_catalogue
from tests.helpers.billing import sync

pytestmark = pytest.mark.django_db

PLANS = "/api/billing/plans/"


def nbsp(text: str) -> str:
    """CLDR writes a no-break space (sometimes a narrow one) between amount and symbol."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def monthly(response) -> dict:
    assert response.status_code == 200, response.json()
    return next(plan for plan in response.json() if plan["code"] == "monthly")


def test_a_reader_in_germany_sees_euros_with_vat_included(plans, api_client):
    plan = monthly(api_client.get(PLANS, {"country": "DE"}))

    assert (plan["amount"], plan["currency"]) == (999, "eur")
    assert nbsp(plan["display"]) == "9,99 €"
    assert plan["tax_behavior"] == "inclusive"


def test_a_reader_in_the_us_sees_dollars_with_tax_added(plans, api_client):
    plan = monthly(api_client.get(PLANS, {"country": "us"}))

    assert (plan["amount"], plan["currency"], plan["display"]) == (999, "usd", "$9.99")
    assert plan["tax_behavior"] == "exclusive"


def test_a_reader_in_britain_sees_pounds(plans, api_client):
    plan = monthly(api_client.get(PLANS, {"country": "GB"}))

    assert (plan["amount"], plan["currency"], plan["display"]) == (899, "gbp", "£8.99")


@pytest.mark.parametrize("country", ["XX", "JP", ""])
def test_an_unknown_or_unsold_country_falls_back_to_the_default(plans, api_client, country):
    plan = monthly(api_client.get(PLANS, {"country": country}))

    assert (plan["currency"], plan["display"]) == ("usd", "$9.99")


@pytest.mark.parametrize("country", ["DEU", "D1", "Germany"])
def test_a_malformed_country_is_refused(plans, api_client, country):
    response = api_client.get(PLANS, {"country": country})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_country"
    assert "country" in response.json()["fields"]


def test_the_geo_header_is_trusted_only_when_configured(plans, api_client, settings):
    settings.GEO_COUNTRY_HEADER = ""
    assert monthly(api_client.get(PLANS, HTTP_CF_IPCOUNTRY="DE"))["currency"] == "usd"

    settings.GEO_COUNTRY_HEADER = "CF-IPCountry"
    assert monthly(api_client.get(PLANS, HTTP_CF_IPCOUNTRY="DE"))["currency"] == "eur"
    # The reader's own country wins; a header that is not a country is none.
    explicit = api_client.get(PLANS, {"country": "GB"}, HTTP_CF_IPCOUNTRY="DE")
    assert monthly(explicit)["currency"] == "gbp"
    assert monthly(api_client.get(PLANS, HTTP_CF_IPCOUNTRY="T1"))["currency"] == "usd"


def test_a_german_reader_starts_a_trial_in_euros(plans, reader, reader_client, stripe_sdk):
    response = reader_client.post(
        "/api/billing/trial/", {"plan": "monthly", "country": "DE"}, format="json"
    )

    assert response.status_code == 201, response.json()
    remote = stripe_sdk.v1.subscriptions.retrieve(response.json()["id"])
    assert remote.currency == "eur"
    assert remote["items"].data[0].price.id == plans["monthly"].stripe_price_id
    local = Subscription.objects.get(user=reader)
    assert (local.currency, local.stripe_price_id) == ("eur", plans["monthly"].stripe_price_id)
    assert Customer.objects.get(user=reader).currency == "eur"


def test_a_british_reader_pays_in_pounds(plans, reader, reader_client, stripe_sdk):
    response = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa", "country": "GB"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    invoices = stripe_sdk.v1.invoices.list(
        params={"customer": reader.billing_customer.stripe_customer_id}
    )
    assert [(i.currency, i.amount_paid) for i in invoices.data] == [("gbp", 899)]


def test_a_malformed_country_at_trial_start_is_refused(plans, reader_client, stripe):
    response = reader_client.post(
        "/api/billing/trial/", {"plan": "monthly", "country": "Deutschland"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_country"
    assert not Subscription.objects.exists()


def paid_in_euros(client) -> dict:
    response = client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa", "country": "DE"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_reader_who_pays_in_euros_sees_euros_wherever_they_are(plans, reader_client, settings):
    paid_in_euros(reader_client)
    settings.GEO_COUNTRY_HEADER = "CF-IPCountry"

    travelling = monthly(reader_client.get(PLANS, HTTP_CF_IPCOUNTRY="US"))

    assert (travelling["currency"], travelling["amount"]) == ("eur", 999)


def test_asking_for_another_currency_while_paying_in_one_is_currency_locked(plans, reader_client):
    paid_in_euros(reader_client)

    response = reader_client.get(PLANS, {"country": "US"})

    assert response.status_code == 409
    assert response.json()["code"] == "currency_locked"
    assert "EUR" in response.json()["detail"]
    assert monthly(reader_client.get(PLANS, {"country": "FR"}))["currency"] == "eur"


def test_after_the_subscription_ended_another_currency_is_accepted(
    plans, reader, reader_client, stripe_sdk
):
    paid_in_euros(reader_client)
    ended = reader_client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": False, "reason": "other"},
        format="json",
    )
    assert ended.status_code == 200, ended.json()

    # Until the reader says otherwise, the old currency is theirs; then Stripe's rule:
    # nothing live in euros, so pounds are accepted and become the customer's.
    assert monthly(reader_client.get(PLANS))["currency"] == "eur"
    response = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa", "country": "GB"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert stripe_sdk.v1.subscriptions.retrieve(response.json()["id"]).currency == "gbp"
    assert Customer.objects.get(user=reader).currency == "gbp"


def test_a_changed_price_keeps_existing_subscribers_on_theirs(
    plans, reader, reader_client, stripe_sdk, settings
):
    first = paid_in_euros(reader_client)
    old_price = plans["monthly"].stripe_price_id
    PlanPrice.objects.filter(plan__code="monthly", currency="eur").update(unit_amount=1199)

    plan_sync_catalogue(catalogue=settings.BILLING_PLANS)

    remote = stripe_sdk.v1.subscriptions.retrieve(first["id"])
    assert remote["items"].data[0].price.id == old_price
    local = sync(first["id"])  # a webhook for it still finds its plan
    assert (local.plan.code, local.stripe_price_id) == ("monthly", old_price)
    shown = monthly(reader_client.get(PLANS, {"country": "DE"}))
    assert nbsp(shown["display"]) == "11,99 €"


def test_a_stale_token_on_the_public_price_list_is_ignored(plans, api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")

    assert monthly(api_client.get(PLANS, {"country": "DE"}))["currency"] == "eur"


def test_stripes_own_refusal_of_a_second_currency_is_currency_locked(
    plans, reader, reader_client, stripe_sdk
):
    from billing.services import customer_ensure

    # A subscription in euros that Stripe has and we have not heard of yet.
    customer = customer_ensure(user=reader)
    stripe_sdk.v1.subscriptions.create(
        params={
            "customer": customer.stripe_customer_id,
            "items": [{"price": plans["monthly"].stripe_price_id}],
            "currency": "eur",
            "trial_period_days": 30,
        }
    )

    response = reader_client.post(
        "/api/billing/trial/",
        {"plan": "monthly", "country": "US", "postal_code": "10001"},
        format="json",
    )

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "currency_locked"
    assert "EUR" in response.json()["detail"]
    assert Customer.objects.get(user=reader).currency == "eur"
