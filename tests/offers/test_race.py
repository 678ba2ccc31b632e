"""Two readers racing for an offer's last redemption (live server, PostgreSQL)."""

import pytest
from rest_framework.authtoken.models import Token

from offers.models import Redemption
from tests.factories import UserFactory
from tests.helpers.clients import fire_together_as
from tests.helpers.offers import create_offer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_readers_racing_for_the_last_redemption_one_wins_the_other_gets_410(
    plans, stripe_sdk, live_server
):
    offer = create_offer("--code", "LASTONE", "--percent-off", "50", "--max-redemptions", "1")
    readers = [UserFactory(), UserFactory()]
    tokens = [Token.objects.create(user=reader).key for reader in readers]
    body = {"plan": "monthly", "payment_method": "pm_card_visa", "offer": "LASTONE"}

    responses = fire_together_as(
        [(body, token) for token in tokens], f"{live_server.url}/api/billing/subscribe/"
    )

    assert sorted(r.status_code for r in responses) == [201, 410], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 410)
    assert loser.json()["code"] == "offer_expired"
    offer.refresh_from_db()
    assert offer.times_redeemed == 1
    assert Redemption.objects.filter(offer=offer, status="redeemed").count() == 1
    promotion_code = stripe_sdk.v1.promotion_codes.retrieve(offer.stripe_promotion_code_id)
    assert promotion_code.times_redeemed == 1
    assert promotion_code.max_redemptions == 1


def test_one_reader_twice_at_once_redeems_once(plans, live_server):
    offer = create_offer("--code", "TWICE", "--percent-off", "50")
    reader = UserFactory()
    token = Token.objects.create(user=reader).key
    body = {"plan": "monthly", "payment_method": "pm_card_visa", "offer": "TWICE"}

    responses = fire_together_as([(body, token)] * 2, f"{live_server.url}/api/billing/subscribe/")

    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    offer.refresh_from_db()
    assert offer.times_redeemed == 1
    assert Redemption.objects.filter(offer=offer, user=reader).count() == 1
