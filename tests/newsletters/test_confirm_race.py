"""Confirmations of one link at once (a double click, a mail scanner and the reader) for
an address already on a list: one subscription, one addition in the feed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import requests
from django.test import TestCase
from rest_framework.test import APIClient

from newsletters.models import SubscriberChange, Subscription
from tests.helpers.newsletters import confirmation_token, sign_up_and_confirm, subscribe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


ROUNDS, AT_ONCE = 5, 6


def test_a_double_confirmation_subscribes_once(live_server, daily, weekly):
    answers = []
    for n in range(ROUNDS):
        email = f"reader{n}@example.com"
        sign_up_and_confirm(APIClient(), email, "daily")  # on one list already
        with TestCase.captureOnCommitCallbacks(execute=True):
            subscribe(APIClient(), email, "weekly")
        token = confirmation_token(email)
        barrier = Barrier(AT_ONCE)

        def confirm(_, token=token, barrier=barrier):
            barrier.wait()
            return requests.post(
                f"{live_server.url}/api/newsletters/confirm/", json={"token": token}, timeout=60
            )

        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            answers += list(pool.map(confirm, range(AT_ONCE)))

    assert [a.status_code for a in answers] == [200] * ROUNDS * AT_ONCE
    assert Subscription.objects.count() == ROUNDS * 2
    assert SubscriberChange.objects.count() == ROUNDS * 2
