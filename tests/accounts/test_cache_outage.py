"""Sign-in while the cache is out: Redis refusing connections, or hung.

Login, registration and password reset answer as usual, each paying at most
about one socket timeout, and the throttles keep counting (in the database)
so brute force stays limited during the outage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from django.core import mail
from django.test import override_settings

from accounts.models import ThrottleCounter
from entitlements.models import MeteredRead
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.helpers.entitlements import drain
from tests.outage import closed_port, hung_server, redis_cache_at

pytestmark = pytest.mark.django_db

# The socket timeout these tests configure. One cache round trip that times
# out costs this much; a request that paid it twice or more would be at 2x.
SOCKET_TIMEOUT = 1.5
# At most one timeout, plus the request's own work on a busy machine (two
# timeouts would be 3 s).
ONE_TIMEOUT_BOUND = SOCKET_TIMEOUT + 1.0
NEW_PASSWORD = "plum-kettle-orbit-47"


@pytest.fixture(params=["refused", "hung"])
def outage(request):
    """Enter to make the default cache a Redis that refuses connections, or one that hangs."""

    @contextmanager
    def out() -> Iterator[None]:
        with ExitStack() as stack:
            port = (
                closed_port() if request.param == "refused" else stack.enter_context(hung_server())
            )
            caches = redis_cache_at(port, socket_timeout=SOCKET_TIMEOUT, prefix="out")
            stack.enter_context(override_settings(CACHES=caches))
            yield

    return out


@pytest.fixture
def cache_out(outage):
    with outage():
        yield


@pytest.fixture
def tight_rates(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates.update({"login_ip": "5/min", "login_account": "3/min", "password_reset_account": "2/min"})
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def anonymous_reader_with_reads(client, articles=("a1", "a2")) -> str:
    """Read articles anonymously (cache working) and return the reader id handed back."""
    reader_id = ""
    for article in articles:
        headers = {"HTTP_X_READER_ID": reader_id} if reader_id else {}
        response = client.post(f"/api/entitlements/articles/{article}/read/", **headers)
        assert response.status_code == 200
        reader_id = reader_id or response["X-Reader-Id"]
    drain()  # before the outage: counted in PostgreSQL by then (METER_STORE=redis)
    return reader_id


def test_login_answers_as_usual_within_one_socket_timeout(api_client, outage):
    user = UserFactory(email="reader@example.com")
    reader_id = anonymous_reader_with_reads(api_client)

    with outage():
        response, elapsed = timed(
            lambda: api_client.post(
                "/api/auth/login/",
                {"email": "reader@example.com", "password": DEFAULT_PASSWORD},
                format="json",
                HTTP_X_READER_ID=reader_id,
            )
        )

    assert response.status_code == 200, response.content
    assert response.json()["key"]
    # The anonymous reads still joined the account.
    assert MeteredRead.objects.filter(meter__user=user).count() == 2
    assert elapsed < ONE_TIMEOUT_BOUND


def test_registration_answers_as_usual_within_one_socket_timeout(api_client, cache_out):
    response, elapsed = timed(
        lambda: api_client.post(
            "/api/auth/registration/",
            {"email": "new@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
            format="json",
        )
    )

    assert response.status_code == 201, response.content
    assert response.json()["key"]
    assert elapsed < ONE_TIMEOUT_BOUND


def test_password_reset_answers_as_usual_within_one_socket_timeout(api_client, cache_out):
    UserFactory(email="reader@example.com")

    response, elapsed = timed(
        lambda: api_client.post(
            "/api/auth/password/reset/", {"email": "reader@example.com"}, format="json"
        )
    )

    assert response.status_code == 200, response.content
    assert len(mail.outbox) == 1
    assert elapsed < ONE_TIMEOUT_BOUND


def test_login_with_a_wrong_password_is_a_400_not_a_500(api_client, cache_out):
    UserFactory(email="reader@example.com")

    response = api_client.post(
        "/api/auth/login/",
        {"email": "reader@example.com", "password": "not the password"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_brute_force_stays_limited_during_the_outage(api_client, cache_out, tight_rates):
    UserFactory(email="target@example.com")

    answers = [
        api_client.post(
            "/api/auth/login/",
            {"email": "target@example.com", "password": "guess"},
            format="json",
            REMOTE_ADDR=f"10.0.0.{i}",
        )
        for i in range(5)
    ]

    assert [a.status_code for a in answers] == [400, 400, 400, 429, 429]
    assert answers[3].json()["code"] == "throttled"
    assert 0 < int(answers[3]["Retry-After"]) <= 60
    # The counts were kept in the database while the cache was out.
    assert ThrottleCounter.objects.exists()


def test_the_per_ip_limit_holds_during_the_outage(api_client, cache_out, tight_rates):
    answers = [
        api_client.post(
            "/api/auth/login/",
            {"email": f"u{i}@example.com", "password": "guess"},
            format="json",
            REMOTE_ADDR="10.9.9.9",
        ).status_code
        for i in range(6)
    ]

    assert answers == [400] * 5 + [429]


def test_password_reset_mails_stay_limited_during_the_outage(api_client, cache_out, tight_rates):
    UserFactory(email="victim@example.com")

    answers = [
        api_client.post(
            "/api/auth/password/reset/",
            {"email": "victim@example.com"},
            format="json",
            REMOTE_ADDR=f"10.2.2.{i}",
        ).status_code
        for i in range(3)
    ]

    assert answers == [200, 200, 429]
    assert len(mail.outbox) == 2


def test_the_outage_is_logged_as_an_error_once_not_per_request(api_client, cache_out, caplog):
    UserFactory(email="reader@example.com")

    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            api_client.post(
                "/api/auth/login/",
                {"email": "reader@example.com", "password": DEFAULT_PASSWORD},
                format="json",
            )

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "cache" in r.message]
    assert len(errors) == 1, [r.message for r in errors]
    assert "database" in errors[0].message


def test_a_hung_cache_is_skipped_after_its_first_timeout(api_client):
    """Once a request has paid the timeout, the next ones do not wait for Redis again."""
    UserFactory(email="reader@example.com")

    def login():
        return api_client.post(
            "/api/auth/login/",
            {"email": "reader@example.com", "password": DEFAULT_PASSWORD},
            format="json",
        )

    with (
        hung_server() as port,
        override_settings(
            CACHES=redis_cache_at(port, socket_timeout=SOCKET_TIMEOUT, prefix="out"),
            CACHE_OUTAGE_RETRY_SECONDS=60,
        ),
    ):
        first, first_elapsed = timed(login)
        second, second_elapsed = timed(login)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first_elapsed >= SOCKET_TIMEOUT  # it really did wait for the hung Redis once
    assert second_elapsed < SOCKET_TIMEOUT / 2  # and then stopped asking it
