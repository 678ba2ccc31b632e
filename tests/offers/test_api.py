"""The offers API: the public offer, the plans with an offer, and the offer's refusals
on trial and subscribe."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from offers.models import Offer, Redemption
from tests.factories import UserFactory
from tests.helpers.clients import client_for
from tests.helpers.offers import create_offer

pytestmark = pytest.mark.django_db


def subscribe_with(client, offer, plan="monthly", payment_method="pm_card_visa"):
    body = {"plan": plan, "payment_method": payment_method, "offer": offer}
    return client.post("/api/billing/subscribe/", body, format="json")


def trial_with(client, offer, plan="monthly"):
    return client.post("/api/billing/trial/", {"plan": plan, "offer": offer}, format="json")


@pytest.fixture
def spring(plans):
    """An amount off, in a window from tomorrow for ten days."""
    now = timezone.now()
    return create_offer(
        "--code", "Spring", "--amount-off", "usd:300", "--amount-off", "eur:300",
        "--amount-off", "gbp:250",
        "--duration", "forever", "--starts-at", (now + timedelta(days=1)).isoformat(),
        "--ends-at", (now + timedelta(days=11)).isoformat(), "--headline", "3.00 off",
    )  # fmt: skip


# --- GET /api/billing/offers/<code>/ ----------------------------------------------------


def test_anyone_sees_an_offer_and_its_price_per_plan(half_price_3_months, api_client):
    response = api_client.get("/api/billing/offers/half3/")

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "HALF3"
    assert body["headline"] == "Half price for 3 months"
    assert body["percent_off"] == "50.00"
    assert body["duration"] == "repeating"
    assert body["duration_in_months"] == 3
    assert body["prices"] == [
        {
            "plan": "monthly",
            "amount": 999,
            "currency": "usd",
            "display": "$9.99",
            "interval": "month",
            "discounted_amount": 499,
            "discounted_display": "$4.99",
            "duration": "repeating",
            "duration_in_months": 3,
            "trial_days": 30,
        }
    ]
    assert "stripe_coupon_id" not in body
    assert "times_redeemed" not in body


def test_an_unknown_offer_is_404(plans, api_client):
    response = api_client.get("/api/billing/offers/NOPE/")

    assert response.status_code == 404
    assert response.json()["code"] == "offer_not_found"


@pytest.mark.parametrize("code", ["NUL%00", "a" * 300, "%F0%9F%8E%81"])
def test_a_code_that_cannot_be_one_is_404(plans, api_client, code):
    assert api_client.get(f"/api/billing/offers/{code}/").status_code == 404
    assert api_client.get(f"/api/billing/plans/?offer={code}").status_code == 404


def test_an_offer_is_410_outside_its_window_by_our_clock(spring, api_client):
    url = "/api/billing/offers/SPRING/"
    assert api_client.get(url).json()["code"] == "offer_expired"  # not started yet
    with time_machine.travel(spring.starts_at + timedelta(minutes=1), tick=False):
        assert api_client.get(url).status_code == 200
    with time_machine.travel(spring.ends_at, tick=False):
        response = api_client.get(url)
    assert response.status_code == 410
    assert response.json()["code"] == "offer_expired"


def test_an_offer_is_410_once_its_cap_is_reached(plans, api_client):
    offer = create_offer("--code", "ONEONLY", "--percent-off", "10", "--max-redemptions", "1")
    assert subscribe_with(client_for(UserFactory()), "ONEONLY").status_code == 201

    response = api_client.get("/api/billing/offers/ONEONLY/")

    assert response.status_code == 410
    offer.refresh_from_db()
    assert offer.times_redeemed == 1


def test_a_deactivated_offer_is_410(half_price_3_months, api_client):
    Offer.objects.filter(pk=half_price_3_months.pk).update(active=False)

    assert api_client.get("/api/billing/offers/HALF3/").status_code == 410


def test_offer_lookups_are_throttled(half_price_3_months, api_client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "offer_lookup_ip": "2/min"},
    }
    codes = [api_client.get(f"/api/billing/offers/GUESS{i}/").status_code for i in range(3)]

    assert codes == [404, 404, 429]


# --- GET /api/billing/plans/?offer= -------------------------------------------------------


def test_the_plans_show_their_price_with_and_without_the_offer(half_price_3_months, api_client):
    plans = {p["code"]: p for p in api_client.get("/api/billing/plans/?offer=HALF3").json()}

    assert plans["monthly"]["amount"] == 999
    assert plans["monthly"]["offer"]["discounted_amount"] == 499
    assert plans["monthly"]["offer"]["duration_in_months"] == 3
    assert plans["yearly"]["offer"] is None  # the offer is for the monthly plan only


def test_the_plans_without_an_offer_are_as_before(plans, api_client):
    body = api_client.get("/api/billing/plans/").json()

    assert {p["code"] for p in body} == {"monthly", "yearly"}
    assert all("offer" not in p for p in body)


def test_the_plans_with_an_unknown_offer_are_404(plans, api_client):
    assert api_client.get("/api/billing/plans/?offer=NOPE").json()["code"] == "offer_not_found"


# --- POST trial/ and subscribe/ with an offer -------------------------------------------------


def test_an_unknown_offer_is_400_invalid_offer(plans, reader_client):
    response = subscribe_with(reader_client, "NOPE")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_offer"
    assert trial_with(reader_client, "NOPE").json()["code"] == "invalid_offer"


def test_an_expired_offer_is_410(spring, reader_client, stripe):
    with time_machine.travel(spring.ends_at + timedelta(seconds=1), tick=False):
        response = subscribe_with(reader_client, "SPRING")

    assert response.status_code == 410
    assert response.json()["code"] == "offer_expired"
    assert not Redemption.objects.exists()


def test_an_offer_inside_its_window_is_taken(spring, reader_client):
    with time_machine.travel(spring.starts_at + timedelta(hours=1), tick=False):
        response = subscribe_with(reader_client, "SPRING")

    assert response.status_code == 201, response.json()
    assert response.json()["discount"]["amount_off"] == 300
    assert response.json()["discount"]["currency"] == "usd"


def test_an_offer_for_another_plan_is_400_offer_not_applicable(half_price_3_months, reader_client):
    response = subscribe_with(reader_client, "HALF3", plan="yearly")

    assert response.status_code == 400
    assert response.json()["code"] == "offer_not_applicable"


def test_an_offer_used_before_is_409_offer_already_used(half_price_3_months, reader, reader_client):
    assert subscribe_with(reader_client, "HALF3").status_code == 201
    reader_client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": False, "reason": "other"},
        format="json",
    )

    response = subscribe_with(reader_client, "HALF3")

    assert response.status_code == 409
    assert response.json()["code"] == "offer_already_used"
    assert Redemption.objects.filter(user=reader).count() == 1


def test_a_first_time_offer_refuses_a_reader_who_subscribed_before(plans, reader_client):
    create_offer("--code", "WELCOME", "--percent-off", "30", "--first-time-only")
    assert (
        reader_client.post(
            "/api/billing/subscribe/",
            {"plan": "monthly", "payment_method": "pm_card_visa"},
            format="json",
        ).status_code
        == 201
    )
    reader_client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": False, "reason": "other"},
        format="json",
    )

    response = subscribe_with(reader_client, "WELCOME")

    assert response.status_code == 400
    assert response.json()["code"] == "offer_not_applicable"


def test_a_refused_card_gives_the_place_back(plans, reader, reader_client):
    offer = create_offer("--code", "LAST", "--percent-off", "10", "--max-redemptions", "1")

    refused = subscribe_with(reader_client, "LAST", payment_method="pm_card_chargeDeclined")

    assert refused.status_code == 402
    offer.refresh_from_db()
    assert offer.times_redeemed == 0
    assert not Redemption.objects.exists()
    assert subscribe_with(reader_client, "LAST").status_code == 201
    offer.refresh_from_db()
    assert offer.times_redeemed == 1


def test_without_an_offer_trial_and_subscribe_keep_their_contract(plans, reader_client):
    response = reader_client.post(
        "/api/billing/trial/", {"plan": "monthly", "offer": ""}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["discount"] is None
