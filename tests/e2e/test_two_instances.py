"""More than one machine: no state lives in a process.

Two gunicorn instances (each its own process, two workers, its own port) and
two Celery workers share one PostgreSQL and one Redis, with the emulator as
Stripe, as two web nodes behind a load balancer would. One reader's requests
go alternately to each instance: the meter, the throttles, the decisions and
the edge tokens must be the same whichever answers.
"""

from __future__ import annotations

import itertools

import pytest
from rest_framework.authtoken.models import Token

from billing.models import StripeEvent
from entitlements.tokens import token_verify
from tests.billing.webhooks import SECRET
from tests.factories import UserFactory
from tests.helpers.instances import WebInstance, web_instances
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

FREE_ARTICLES = 3
LOGIN_ATTEMPTS = 4
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def instances(django_db_setup, stripe_emulator_server):
    """Instances A and B and two workers, started once for this module."""
    stripe = {
        "stripe_url": stripe_emulator_server.url,
        "stripe_key": stripe_emulator_server.api_key,
    }
    env = {
        "FREE_ARTICLES_PER_MONTH": str(FREE_ARTICLES),
        "THROTTLE_LOGIN_ACCOUNT": f"{LOGIN_ATTEMPTS}/min",
    }
    with (
        web_instances("A", "B", **stripe, env=env) as (a, b),
        celery_worker(**stripe, name="two-instances-1"),
        celery_worker(**stripe, name="two-instances-2"),
    ):
        yield a, b


def alternately(instances: tuple[WebInstance, WebInstance]):
    return itertools.cycle(instances)


def test_an_anonymous_readers_meter_counts_across_both_instances(instances):
    turns = alternately(instances)
    first = next(turns).request("POST", "/api/entitlements/articles/story-0/read/")
    assert first.status == 200
    reader_id = {"X-Reader-Id": first.headers["X-Reader-Id"]}
    remaining = [first.body["remaining"]]

    for n in range(1, FREE_ARTICLES + 1):
        answer = next(turns).request(
            "POST", f"/api/entitlements/articles/story-{n}/read/", headers=reader_id
        )
        assert answer.status == 200
        remaining.append(answer.body["remaining"])
        if n < FREE_ARTICLES:
            assert answer.body["granted"] is True

    assert remaining == [FREE_ARTICLES - 1, FREE_ARTICLES - 2, 0, 0]
    assert answer.body["granted"] is False  # the limit, reached on the other instance
    for instance in instances:  # both refuse a new article, and both count the same
        refused = instance.request(
            "POST", "/api/entitlements/articles/more/read/", headers=reader_id
        )
        assert refused.body["granted"] is False
        me = instance.request("GET", "/api/entitlements/me/", headers=reader_id).body
        assert me["metered"]["used"] == FREE_ARTICLES
        assert me["metered"]["remaining"] == 0
    again = instances[1].request(
        "POST", "/api/entitlements/articles/story-0/read/", headers=reader_id
    )
    assert again.body["granted"] is True  # an article read on A stays readable on B


def test_the_login_throttle_trips_on_attempts_spread_over_both_instances(instances):
    UserFactory(email="reader@example.com")
    turns = alternately(instances)
    wrong = {"email": "reader@example.com", "password": "not-the-password"}

    statuses = [
        next(turns).request("POST", "/api/auth/login/", body=wrong).status
        for _ in range(LOGIN_ATTEMPTS)
    ]
    assert 429 not in statuses

    for instance in instances:  # the next attempt is refused whichever instance takes it
        refused = instance.request("POST", "/api/auth/login/", body=wrong)
        assert refused.status == 429


@pytest.fixture
def hooked(stripe, plans, instances):
    """Stripe delivers its webhooks to instance A: the load balancer's choice."""
    stripe.register_webhook(f"{instances[0].url}/api/billing/webhooks/stripe/", secret=SECRET)
    return stripe


def test_a_trial_started_on_one_instance_is_unlimited_on_the_other_at_once(hooked, instances):
    a, b = instances
    user = UserFactory(email="trial@example.com")
    auth = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    assert a.request("GET", "/api/entitlements/me/", headers=auth).body["access"] == "metered"
    assert b.request("GET", "/api/entitlements/me/", headers=auth).body["access"] == "metered"

    started = a.request(
        "POST",
        "/api/billing/trial/",
        body={"plan": "monthly", "payment_method": "pm_card_visa"},
        headers=auth,
    )
    assert started.status in (200, 201), started.body

    on_b = b.request("GET", "/api/entitlements/me/", headers=auth).body
    assert on_b["access"] == "unlimited"
    assert on_b == a.request("GET", "/api/entitlements/me/", headers=auth).body

    # Stripe's webhooks, received by A and applied by either worker, leave both agreeing.
    hooked.flush(retries=True)
    assert wait_for(
        lambda: (
            StripeEvent.objects.filter(status="processed").exists()
            and not StripeEvent.objects.filter(
                status__in=["received", "processing", "failed"]
            ).exists()
        )
    ), list(StripeEvent.objects.values_list("type", "status"))
    after = [i.request("GET", "/api/entitlements/me/", headers=auth).body for i in instances]
    assert after[0] == after[1]
    assert after[0]["access"] == "unlimited"


def test_a_token_issued_by_one_instance_verifies_with_the_others_keys(instances):
    a, b = instances
    read = a.request("POST", "/api/entitlements/articles/story-1/read/")
    reader_id = {"X-Reader-Id": read.headers["X-Reader-Id"]}

    from_a = a.request("POST", "/api/entitlements/token/", headers=reader_id).body["token"]
    from_b = b.request("POST", "/api/entitlements/token/", headers=reader_id).body["token"]
    jwks_a = a.request("GET", "/.well-known/jwks.json").body
    jwks_b = b.request("GET", "/.well-known/jwks.json").body

    assert jwks_a == jwks_b
    claims_a = token_verify(from_a, jwks=jwks_b)
    claims_b = token_verify(from_b, jwks=jwks_a)
    assert claims_a["ver"] == claims_b["ver"]
    assert claims_a["meter"]["used"] == claims_b["meter"]["used"] == 1

    # A read on B moves the meter (and the version) in A's next token too.
    b.request("POST", "/api/entitlements/articles/story-2/read/", headers=reader_id)
    moved = token_verify(
        a.request("POST", "/api/entitlements/token/", headers=reader_id).body["token"], jwks=jwks_b
    )
    assert moved["meter"]["used"] == 2
    assert moved["ver"] >= claims_a["ver"]
