"""A reader's version (the tokens' `ver`) moves with every change that moves the decision.

An edge or an app that remembers the highest version it has seen can tell an
older token from a fresher one; the changes here are made through the real
API and billing against the Stripe emulator.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from entitlements.services import grant_create, grant_revoke
from tests.helpers.billing import cancel_now, start_trial, subscribe, sync
from tests.helpers.edge import issue, verified
from tests.helpers.entitlements import read

pytestmark = pytest.mark.django_db


def token_claims(client) -> dict:
    return verified(client, issue(client))


def test_a_cancellation_bumps_the_version_and_the_next_token_is_metered(
    plans, reader_client, committing
):
    with committing():
        start_trial(reader_client)
    before = token_claims(reader_client)
    assert before["access"] == "unlimited"
    assert before["reason"] == "trialing"

    with committing():
        response = cancel_now(reader_client)
    assert response.status_code == 200

    after = token_claims(reader_client)
    assert after["ver"] > before["ver"]
    assert after["access"] == "metered"
    assert after["reason"] == "metered"


def test_a_change_made_in_stripe_bumps_the_version_once_synced(
    plans, reader_client, stripe_sdk, committing
):
    with committing():
        subscription = subscribe(reader_client)
    before = token_claims(reader_client)

    with committing():
        sync(subscription["id"])  # nothing changed in Stripe: nothing moves
    assert token_claims(reader_client)["ver"] == before["ver"]

    # Cancelled in Stripe (the dashboard, say): the webhook's processing syncs it.
    stripe_sdk.v1.subscriptions.cancel(subscription["id"])
    with committing():
        sync(subscription["id"])

    after = token_claims(reader_client)
    assert after["ver"] > before["ver"]
    assert after["access"] == "metered"


def test_a_counted_read_bumps_the_version_and_a_re_read_does_not(reader_client):
    first = token_claims(reader_client)

    read(reader_client, "first")
    counted = token_claims(reader_client)
    read(reader_client, "first")
    re_read = token_claims(reader_client)

    assert counted["ver"] == first["ver"] + 1
    assert re_read["ver"] == counted["ver"]


def test_a_grant_and_its_revocation_bump_the_version(reader, reader_client, committing):
    first = token_claims(reader_client)

    with committing():
        grant = grant_create(
            reader=reader, ends_at=timezone.now() + timedelta(days=5), reason="x", granted_by=None
        )
    granted = token_claims(reader_client)
    with committing():
        grant_revoke(grant=grant, revoked_by=None)
    revoked = token_claims(reader_client)

    assert first["ver"] < granted["ver"] < revoked["ver"]
    assert (granted["reason"], revoked["reason"]) == ("grant", "metered")


def test_the_staff_flag_bumps_the_version(reader, reader_client, committing):
    first = token_claims(reader_client)

    with committing():
        reader.is_staff = True
        reader.save()

    staff = token_claims(reader_client)
    assert staff["ver"] > first["ver"]
    assert staff["reason"] == "staff"


def test_a_rolled_back_change_does_not_bump_the_version(reader, reader_client):
    from django.db import transaction

    from entitlements.readers import Reader
    from entitlements.selectors import reader_version
    from entitlements.services import meter_record_read

    me = Reader(user_id=reader.pk)

    def read_then_fail() -> None:
        with transaction.atomic():
            meter_record_read(reader=me, article_id="first")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        read_then_fail()

    assert reader_version(reader=me) == 0
