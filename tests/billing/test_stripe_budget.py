"""A request's whole Stripe time is one budget, below the web server's timeout.

STRIPE_REQUEST_BUDGET_SECONDS bounds every Stripe call of one web request and
the SDK's retries together; once it is spent no call starts and none is
retried, and the request ends in a JSON 503 `stripe_unavailable`. The bounds
on elapsed time below are correctness checks (they prove the budget applied:
each is below a single per-call timeout), not measurements of speed.
"""

from __future__ import annotations

import time

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from billing import gateway
from billing.models import Subscription
from tests.outage import hung_server

pytestmark = pytest.mark.django_db

URL = "/api/billing/trial/"
BUDGET = 1.5
PER_CALL_TIMEOUT = 6.0  # one call alone, without the budget, would wait this long


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.fixture
def hung_stripe(plans, settings):
    """Stripe accepts connections and never answers (after the plans were synced)."""
    with hung_server() as port:
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
        yield


def test_a_hung_stripe_ends_in_a_json_503_within_the_budget(hung_stripe, reader_client, settings):
    settings.STRIPE_REQUEST_BUDGET_SECONDS = BUDGET
    settings.STRIPE_TIMEOUT_SECONDS = PER_CALL_TIMEOUT
    settings.STRIPE_MAX_NETWORK_RETRIES = 2  # the SDK's retries are inside the budget too

    response, elapsed = timed(lambda: reader_client.post(URL, {"plan": "monthly"}, format="json"))

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "stripe_unavailable"
    # Without the budget: 3 attempts x 6 s, plus back-off.
    assert BUDGET <= elapsed < 2 * BUDGET


def test_the_calls_of_one_request_share_the_budget_and_none_starts_after_it(
    plans, reader, reader_client, stripe, settings
):
    # Each call answers, but only after a second: a trial with a card makes four
    # (customer, attach card, default card, subscription), more than 2.5 s.
    settings.STRIPE_REQUEST_BUDGET_SECONDS = 2.5
    settings.STRIPE_TIMEOUT_SECONDS = 20.0
    stripe.fault("delay", count=10, path="/v1/", delay_ms=1000)

    body = {"plan": "monthly", "payment_method": "pm_card_visa"}
    response, elapsed = timed(lambda: reader_client.post(URL, body, format="json"))

    assert response.status_code == 503
    assert response.json()["code"] == "stripe_unavailable"
    assert elapsed < 2.5 + 1.0
    reached = _delayed_requests_answered(stripe, count=3)
    assert not [r for r in reached if r["path"] == "/v1/subscriptions"]  # never started

    # The next request has a budget of its own, and reuses the attempts' keys.
    stripe.clear_faults()
    retried = reader_client.post(URL, body, format="json")

    assert retried.status_code == 201, retried.json()
    assert Subscription.objects.get(user=reader).status == "trialing"


def _delayed_requests_answered(stripe, *, count: int) -> list[dict]:
    """The delayed requests, once the emulator has answered `count` (it logs each then)."""
    deadline = time.monotonic() + 10
    while True:
        delayed = [r for r in stripe.requests() if r.get("fault") == "delay"]
        if len(delayed) >= count or time.monotonic() > deadline:
            return delayed
        time.sleep(0.1)


def test_outside_a_web_request_only_the_per_call_timeout_applies(hung_stripe, settings):
    """Celery tasks and commands have no request budget: each call has its own timeouts."""
    settings.STRIPE_REQUEST_BUDGET_SECONDS = 0.2
    settings.STRIPE_TIMEOUT_SECONDS = 1.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 0

    assert gateway.budget_remaining() is None
    started = time.monotonic()
    with pytest.raises(gateway.StripeUnavailable):
        gateway.subscription_retrieve(subscription_id="sub_x")

    assert time.monotonic() - started >= 1.0


def test_an_inner_budget_never_extends_the_outer_one():
    with gateway.stripe_budget(seconds=1.0), gateway.stripe_budget(seconds=60.0):
        remaining = gateway.budget_remaining()

    assert remaining is not None
    assert remaining <= 1.0
    assert gateway.budget_remaining() is None


@pytest.mark.parametrize(
    ("budget", "web_timeout", "expected"),
    [(20, 30, []), (29.5, 30, []), (30, 30, ["billing.E001"]), (45, 30, ["billing.E001"])],
)
def test_a_budget_not_below_the_web_timeout_is_a_system_check_error(budget, web_timeout, expected):
    with override_settings(STRIPE_REQUEST_BUDGET_SECONDS=budget, WEB_TIMEOUT_SECONDS=web_timeout):
        errors = [m for m in run_checks() if m.id.startswith("billing.E")]

    assert [e.id for e in errors] == expected
    if expected:
        assert "WEB_TIMEOUT_SECONDS" in errors[0].msg
        assert errors[0].hint


def test_a_budget_of_nothing_is_a_system_check_error():
    with override_settings(STRIPE_REQUEST_BUDGET_SECONDS=0):
        errors = [m.id for m in run_checks() if m.id.startswith("billing.E")]

    assert errors == ["billing.E002"]
