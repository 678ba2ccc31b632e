"""A reader's double click on a save offer applies it once (live server, PostgreSQL)."""

import pytest
from rest_framework.authtoken.models import Token

from offers.models import CancellationFeedback, Redemption, SaveOffer
from tests.factories import UserFactory
from tests.helpers.billing import subscribe
from tests.helpers.clients import client_for, fire_together
from tests.helpers.offers import create_offer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reader_with_subscription(plans):
    reader = UserFactory()
    subscription = subscribe(client_for(reader))
    return reader, Token.objects.get(user=reader).key, subscription


def test_a_double_post_of_the_discount_save_offer_applies_it_once(
    reader_with_subscription, live_server, stripe, stripe_sdk
):
    offer = create_offer(
        "--code", "STAY50", "--percent-off", "50", "--duration", "months", "--months", "3"
    )
    SaveOffer.objects.create(reason="too_expensive", kind="discount", offer=offer)
    reader, token, subscription = reader_with_subscription

    responses = fire_together(
        [{"reason": "too_expensive"}] * 2,
        f"{live_server.url}/api/billing/subscription/save-offer/",
        token,
    )

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    offer.refresh_from_db()
    assert offer.times_redeemed == 1
    assert Redemption.objects.filter(offer=offer, user=reader, status="redeemed").count() == 1
    assert CancellationFeedback.objects.filter(outcome="saved").count() == 1
    promotion_code = stripe_sdk.v1.promotion_codes.retrieve(offer.stripe_promotion_code_id)
    assert promotion_code.times_redeemed == 1
    remote = stripe_sdk.v1.subscriptions.retrieve(subscription["id"])
    assert len(remote.discounts) == 1


def test_a_double_post_of_the_pause_save_offer_pauses_once(
    reader_with_subscription, live_server, stripe
):
    SaveOffer.objects.create(reason="temporary_break", kind="pause", months=3)
    _, token, subscription = reader_with_subscription

    responses = fire_together(
        [{"reason": "temporary_break"}] * 2,
        f"{live_server.url}/api/billing/subscription/save-offer/",
        token,
    )

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    assert CancellationFeedback.objects.filter(outcome="saved", pause_months=3).count() == 1
    keys = {
        r["idempotency_key"]
        for r in stripe.requests()
        if r["method"] == "POST" and r["path"] == f"/v1/subscriptions/{subscription['id']}"
    }
    assert len(keys) == 1  # one write (a request sharing it replays Stripe's answer)
