"""An amount-based offer has an amount in every currency we sell in (Stripe's coupon
currency_options); readers see and get it in their own currency."""

from __future__ import annotations

import pytest

from offers.models import Offer
from tests.helpers.offers import create_offer, member_of, offer_form

pytestmark = pytest.mark.django_db


def nbsp(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def three_off(plans):
    """3.00 off every invoice: $3, 3 €, £2.50."""
    return create_offer(
        "--code", "THREEOFF", "--amount-off", "usd:300", "--amount-off", "eur:300",
        "--amount-off", "gbp:250", "--duration", "forever", "--plans", "monthly",
    )  # fmt: skip


def test_the_offer_is_one_coupon_with_an_amount_per_currency(three_off, stripe_sdk):
    coupon = stripe_sdk.v1.coupons.retrieve(three_off.stripe_coupon_id)

    assert (coupon.amount_off, coupon.currency) == (300, "usd")
    options = coupon.currency_options.to_dict()
    assert {cur: o["amount_off"] for cur, o in options.items()} == {"eur": 300, "gbp": 250}


def test_an_offer_lookup_shows_the_readers_currency(three_off, api_client):
    body = api_client.get("/api/billing/offers/threeoff/", {"country": "GB"}).json()

    assert (body["amount_off"], body["currency"]) == (250, "gbp")
    [price] = body["prices"]
    assert (price["amount"], price["discounted_amount"], price["currency"]) == (899, 649, "gbp")
    assert (price["display"], price["discounted_display"]) == ("£8.99", "£6.49")


def test_the_plans_with_an_offer_show_the_discount_in_euros(three_off, api_client):
    plans = api_client.get("/api/billing/plans/", {"offer": "THREEOFF", "country": "DE"}).json()

    monthly = next(p for p in plans if p["code"] == "monthly")
    assert monthly["offer"]["currency"] == "eur"
    assert monthly["offer"]["discounted_amount"] == 699
    assert nbsp(monthly["offer"]["discounted_display"]) == "6,99 €"


def test_a_german_reader_gets_the_euro_amount_off(three_off, reader_client, stripe_sdk):
    response = reader_client.post(
        "/api/billing/subscribe/",
        {
            "plan": "monthly",
            "payment_method": "pm_card_visa",
            "offer": "THREEOFF",
            "country": "DE",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    remote = stripe_sdk.v1.subscriptions.retrieve(
        response.json()["id"], params={"expand": ["latest_invoice"]}
    )
    assert remote.currency == "eur"
    assert (remote.latest_invoice.currency, remote.latest_invoice.amount_paid) == ("eur", 699)


def test_an_amount_offer_must_have_every_currency(plans):
    with pytest.raises(Exception, match="missing GBP"):
        create_offer("--code", "EUROONLY", "--amount-off", "usd:300", "--amount-off", "eur:300")
    assert not Offer.objects.filter(code="EUROONLY").exists()


@pytest.mark.usefixtures("roles")
def test_staff_give_an_amount_per_currency_in_admin(client, plans, stripe_sdk):
    client.force_login(member_of("marketing"))
    form = offer_form(percent_off="", amount_off_usd="300", amount_off_eur="300")

    refused = client.post("/admin/offers/offer/add/", form)

    assert refused.status_code == 200
    assert "missing GBP" in refused.content.decode()
    assert not Offer.objects.filter(code="AUTUMN").exists()

    made = client.post("/admin/offers/offer/add/", {**form, "amount_off_gbp": "250"})

    assert made.status_code == 302
    offer = Offer.objects.get(code="AUTUMN")
    assert (offer.amount_off, offer.currency, offer.currency_options) == (
        300,
        "usd",
        {
            "eur": 300,
            "gbp": 250,
        },
    )
    coupon = stripe_sdk.v1.coupons.retrieve(offer.stripe_coupon_id)
    assert coupon.currency_options["gbp"].amount_off == 250


def test_an_older_offer_in_one_currency_still_deactivates_but_is_refused_in_another(
    plans, reader_client, settings
):
    from offers.services import offer_deactivate

    settings.CURRENCIES = ["usd"]
    old = create_offer("--code", "OLDUSD", "--amount-off", "usd:300")
    settings.CURRENCIES = ["usd", "eur", "gbp"]

    response = reader_client.post(
        "/api/billing/trial/",
        {"plan": "monthly", "offer": "OLDUSD", "country": "DE"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "offer_not_applicable"
    assert "EUR" in response.json()["detail"]
    offer_deactivate(offer=old, actor=None, reason="retired")
    old.refresh_from_db()
    assert old.active is False


def test_the_offer_mail_quotes_the_readers_own_currency(
    three_off, reader_client, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        response = reader_client.post(
            "/api/billing/subscribe/",
            {"plan": "monthly", "payment_method": "pm_card_visa", "offer": "THREEOFF"}
            | {"country": "DE"},
            format="json",
        )
    assert response.status_code == 201, response.json()

    [sent] = [m for m in mail.outbox if m.subject == "Your offer is applied"]
    assert "6,99 € per month instead of 9,99 €" in nbsp(sent.body.replace("\n", " "))
