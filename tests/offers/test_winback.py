"""Win-back: GET /api/billing/offers/?eligible=1 lists the offers the signed-in reader
may use now, and an offer targeted at lapsed readers is refused to anyone else."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing.models import Subscription
from offers.models import Offer
from tests.factories import UserFactory
from tests.helpers.clients import client_for
from tests.helpers.offers import create_offer

pytestmark = pytest.mark.django_db

ELIGIBLE = "/api/billing/offers/?eligible=1"


@pytest.fixture
def offers(plans):
    """A win-back offer for readers lapsed in the last 30 days, a first-time-only
    welcome offer, and one for everyone."""
    return {
        "COMEBACK": create_offer(
            "--code", "COMEBACK", "--percent-off", "40", "--duration", "months",
            "--months", "3", "--lapsed-within-days", "30", "--headline", "Come back: 40% off",
        ),
        "WELCOME": create_offer(
            "--code", "WELCOME", "--percent-off", "20", "--first-time-only",
            "--headline", "Welcome: 20% off",
        ),
        "EVERYONE": create_offer("--code", "EVERYONE", "--percent-off", "10"),
    }  # fmt: skip


def eligible(client):
    response = client.get(ELIGIBLE)
    assert response.status_code == 200, response.json()
    return [offer["code"] for offer in response.json()["results"]]


def lapse(client):
    """A trial, cancelled at once through Stripe: the reader's subscription has ended."""
    body = client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    response = client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": False, "reason": "other"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    subscription = Subscription.objects.get(stripe_subscription_id=body["id"])
    assert subscription.status == "canceled"
    assert subscription.ended_at is not None
    return subscription


def subscribe(client, offer=None):
    body = {"plan": "monthly", "payment_method": "pm_card_visa"}
    if offer:
        body["offer"] = offer
    return client.post("/api/billing/subscribe/", body, format="json")


# --- who may ask ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ELIGIBLE, "/api/billing/offers/"])
def test_an_anonymous_visitor_is_401(offers, api_client, url):
    response = api_client.get(url)

    assert response.status_code == 401


def test_without_eligible_1_the_list_is_refused_there_is_no_public_list(offers, reader_client):
    for url in ("/api/billing/offers/", "/api/billing/offers/?eligible=yes"):
        response = reader_client.get(url)

        assert response.status_code == 400
        assert response.json()["code"] == "eligible_required"


# --- the rules, each --------------------------------------------------------------------


def test_a_reader_lapsed_within_n_days_sees_the_win_back_offer(offers, reader_client):
    lapse(reader_client)

    response = reader_client.get(ELIGIBLE)

    codes = [offer["code"] for offer in response.json()["results"]]
    assert codes == ["COMEBACK", "EVERYONE"]  # WELCOME: they subscribed before
    comeback = response.json()["results"][0]
    assert comeback["headline"] == "Come back: 40% off"
    assert comeback["prices"][0]["plan"] == "monthly"
    assert comeback["prices"][0]["discounted_amount"] == 599
    assert "stripe_coupon_id" not in comeback


def test_a_reader_lapsed_longer_ago_than_n_days_does_not(offers, reader_client):
    subscription = lapse(reader_client)

    with time_machine.travel(subscription.ended_at + timedelta(days=29), tick=False):
        assert "COMEBACK" in eligible(reader_client)
    with time_machine.travel(subscription.ended_at + timedelta(days=30, seconds=1), tick=False):
        assert eligible(reader_client) == ["EVERYONE"]


def test_a_reader_who_never_subscribed_sees_the_welcome_offer_and_no_win_back(
    offers, reader_client
):
    assert eligible(reader_client) == ["EVERYONE", "WELCOME"]


def test_an_active_subscriber_sees_neither_first_time_only_nor_win_back_offers(
    offers, reader_client
):
    assert subscribe(reader_client).status_code == 201

    assert eligible(reader_client) == ["EVERYONE"]


def test_a_reader_on_a_trial_has_not_lapsed_and_is_not_new(offers, reader_client):
    reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json")

    assert eligible(reader_client) == ["EVERYONE"]


def test_a_reader_who_used_an_offer_no_longer_sees_it(offers, reader, reader_client):
    assert subscribe(reader_client, "everyone").status_code == 201

    assert "EVERYONE" not in eligible(reader_client)
    assert "EVERYONE" in eligible(client_for(UserFactory()))  # others still do


def test_an_offer_is_listed_only_inside_its_window_by_our_clock(plans, reader_client):
    now = timezone.now()
    spring = create_offer(
        "--code", "SPRING", "--percent-off", "25",
        "--starts-at", (now + timedelta(days=1)).isoformat(),
        "--ends-at", (now + timedelta(days=8)).isoformat(),
    )  # fmt: skip

    assert eligible(reader_client) == []  # not started
    with time_machine.travel(spring.starts_at, tick=False):
        assert eligible(reader_client) == ["SPRING"]
    with time_machine.travel(spring.ends_at - timedelta(seconds=1), tick=False):
        assert eligible(reader_client) == ["SPRING"]
    with time_machine.travel(spring.ends_at, tick=False):
        assert eligible(reader_client) == []  # expired


def test_a_deactivated_offer_or_one_at_its_cap_is_not_listed(offers, reader_client):
    capped = create_offer("--code", "LAST1", "--percent-off", "50", "--max-redemptions", "1")
    assert "LAST1" in eligible(reader_client)

    assert subscribe(client_for(UserFactory()), "LAST1").status_code == 201
    Offer.objects.filter(code="EVERYONE").update(active=False)

    capped.refresh_from_db()
    assert capped.times_redeemed == 1
    assert eligible(reader_client) == ["WELCOME"]


# --- a targeted offer on redemption -----------------------------------------------------


def test_a_win_back_offer_is_refused_to_a_reader_who_never_lapsed(offers, reader_client):
    response = subscribe(reader_client, "COMEBACK")

    assert response.status_code == 400
    assert response.json()["code"] == "offer_not_applicable"
    assert not Subscription.objects.exists()
    assert Offer.objects.get(code="COMEBACK").times_redeemed == 0


def test_a_win_back_offer_is_refused_to_a_reader_lapsed_too_long_ago(offers, reader_client):
    subscription = lapse(reader_client)

    with time_machine.travel(subscription.ended_at + timedelta(days=31), tick=False):
        response = reader_client.post(
            "/api/billing/trial/", {"plan": "monthly", "offer": "COMEBACK"}, format="json"
        )

    assert response.status_code == 400
    assert response.json()["code"] == "offer_not_applicable"
    assert Subscription.objects.filter(status="canceled").count() == 1
    assert Subscription.objects.count() == 1


def test_a_reader_lapsed_within_n_days_wins_back_with_the_offer(offers, reader, reader_client):
    lapse(reader_client)

    response = subscribe(reader_client, "comeback")

    assert response.status_code == 201, response.json()
    assert response.json()["discount"]["offer"] == "COMEBACK"
    assert response.json()["discount"]["percent_off"] == 40
    assert "COMEBACK" not in eligible(reader_client)  # used, and no longer lapsed


def test_create_offer_takes_lapsed_within_days(plans):
    offer = create_offer("--code", "BACK60", "--percent-off", "30", "--lapsed-within-days", "60")

    assert offer.lapsed_within_days == 60
