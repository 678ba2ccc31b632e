"""A cached decision never outlives the change that affects it.

Each test warms the cache first, then changes billing (through billing's
services against the Stripe emulator), a grant or the staff flag, and asks
again: the answer must follow at once.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from entitlements.services import grant_create, grant_revoke
from tests.helpers.billing import cancel_now, iso, start_trial, subscribe, sync
from tests.helpers.clients import client_for
from tests.helpers.entitlements import ME
from tests.stripe_time import past_renewal, pin_start, pinned_start_params

pytestmark = pytest.mark.django_db


def test_starting_a_trial_ends_metering(plans, reader_client, committing):
    assert reader_client.get(ME).json()["reason"] == "metered"

    with committing():
        start_trial(reader_client)

    assert reader_client.get(ME).json()["reason"] == "trialing"


def test_cancelling_now_returns_the_reader_to_the_meter(plans, reader_client, committing):
    with committing():
        start_trial(reader_client)
    assert reader_client.get(ME).json()["reason"] == "trialing"

    with committing():
        response = cancel_now(reader_client)
    assert response.status_code == 200

    body = reader_client.get(ME).json()
    assert body["access"] == "metered"
    assert body["reason"] == "metered"


@pinned_start_params()
def test_a_renewal_moves_until_to_the_new_period_end(
    plans, reader_client, stripe, committing, start_date
):
    pin_start(stripe, *start_date)
    with committing():
        subscription = subscribe(reader_client)
    before = reader_client.get(ME).json()
    assert before["until"] == subscription["current_period_end"]

    past_renewal(stripe, subscription)  # Stripe renews and charges the card
    with committing():
        local = sync(subscription["id"])

    after = reader_client.get(ME).json()
    assert local.status == "active"
    assert after["reason"] == "active"
    assert after["until"] == iso(local.current_period_end)
    assert after["until"] > before["until"]


@pinned_start_params()
def test_a_failed_renewal_turns_active_into_past_due_grace(
    plans, reader_client, stripe, committing, start_date
):
    pin_start(stripe, *start_date)
    with committing():
        subscription = subscribe(reader_client)
        response = reader_client.post(
            "/api/billing/payment-method/",
            {"payment_method": "pm_card_chargeCustomerFail"},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert reader_client.get(ME).json()["reason"] == "active"

    past_renewal(stripe, subscription)  # the renewal's charge fails
    with committing():
        local = sync(subscription["id"])

    assert local.status == "past_due"
    assert reader_client.get(ME).json()["reason"] == "past_due_grace"


def test_a_grant_applies_at_once_and_its_revocation_too(reader, reader_client, committing):
    assert reader_client.get(ME).json()["reason"] == "metered"

    with committing():
        grant = grant_create(
            reader=reader, ends_at=timezone.now() + timedelta(days=5), reason="x", granted_by=None
        )
    assert reader_client.get(ME).json()["reason"] == "grant"

    with committing():
        grant_revoke(grant=grant, revoked_by=None)
    assert reader_client.get(ME).json()["reason"] == "metered"


def test_the_staff_flag_applies_at_once(reader, reader_client, committing):
    assert reader_client.get(ME).json()["reason"] == "metered"

    with committing():
        reader.is_staff = True
        reader.save()
    # a fresh client: the flag is read through the cache, not from the token's user
    from entitlements.readers import Reader
    from entitlements.selectors import entitlement_decide

    assert entitlement_decide(reader=Reader(user_id=reader.pk)).reason == "staff"
    assert client_for(reader).get(ME).json()["reason"] == "staff"

    with committing():
        reader.is_staff = False
        reader.save(update_fields=["is_staff"])
    assert entitlement_decide(reader=Reader(user_id=reader.pk)).reason == "metered"


def test_a_login_does_not_invalidate(reader, committing, django_assert_num_queries):
    from entitlements.readers import Reader
    from entitlements.selectors import entitlement_decide

    me = Reader(user_id=reader.pk)
    entitlement_decide(reader=me)
    with committing():
        reader.last_login = timezone.now()
        reader.save(update_fields=["last_login"])

    with django_assert_num_queries(0):
        entitlement_decide(reader=me)
