"""POST /api/newsletters/subscribe/ and /confirm/: double opt-in, without enumeration."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from newsletters.models import Subscriber, Subscription
from tests.factories import NewsletterFactory, NewsletterSubscriptionFactory, SubscriberFactory
from tests.helpers.newsletters import (
    CONFIRM,
    LIST,
    confirmation_emails,
    confirmation_token,
    subscribe,
)

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_active_newsletters_and_which_are_offered_at_registration(
    anonymous_client, daily, weekly
):
    NewsletterFactory(slug="retired", is_active=False)

    body = anonymous_client.get(LIST).json()

    assert [n["slug"] for n in body] == ["daily", "weekly"]
    assert body[0] == {
        "slug": "daily",
        "name": "The Daily",
        "description": "The news, every morning.",
        "frequency": "daily",
        "audience": "all",
        "default_at_registration": True,
    }


def test_a_sign_up_answers_202_and_emails_a_confirmation_link(
    anonymous_client, daily, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(anonymous_client, "Ann@Example.com", "daily")

    assert response.status_code == 202
    (message,) = confirmation_emails("ann@example.com")
    assert "The Daily" in message.body
    assert "/newsletters/confirm/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://localhost:8000/api/")


def test_an_unconfirmed_address_is_on_no_list(
    anonymous_client, daily, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(anonymous_client, "ann@example.com", "daily")

    assert not Subscriber.objects.exists()
    assert not Subscription.objects.exists()


def test_confirming_puts_the_address_on_the_lists_with_its_consent(
    anonymous_client, daily, weekly, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(
            anonymous_client,
            "ann@example.com",
            "daily",
            "weekly",
            HTTP_REFERER="https://news.example.com/story",
            REMOTE_ADDR="203.0.113.9",
        )

    response = anonymous_client.post(
        CONFIRM, {"token": confirmation_token("ann@example.com")}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"newsletters": ["daily", "weekly"]}
    subscription = Subscription.objects.get(newsletter=daily)
    assert subscription.subscriber.email == "ann@example.com"
    assert subscription.source == "signup"
    assert subscription.source_page == "https://news.example.com/story"
    assert len(subscription.ip_hash) == 64
    assert "203.0.113.9" not in subscription.ip_hash
    assert subscription.consented_at <= subscription.confirmed_at


def test_confirming_twice_changes_nothing(
    anonymous_client, daily, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(anonymous_client, "ann@example.com", "daily")
    token = confirmation_token("ann@example.com")

    anonymous_client.post(CONFIRM, {"token": token}, format="json")
    again = anonymous_client.post(CONFIRM, {"token": token}, format="json")

    assert again.status_code == 200
    assert Subscription.objects.count() == 1


def test_a_link_older_than_48_hours_is_refused(
    anonymous_client, daily, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(anonymous_client, "ann@example.com", "daily")
    token = confirmation_token("ann@example.com")

    with time_machine.travel(timezone.now() + timedelta(hours=48, minutes=1)):
        response = anonymous_client.post(CONFIRM, {"token": token}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "token_expired"
    assert not Subscription.objects.exists()


def test_a_link_within_48_hours_works(anonymous_client, daily, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(anonymous_client, "ann@example.com", "daily")
    token = confirmation_token("ann@example.com")

    with time_machine.travel(timezone.now() + timedelta(hours=47)):
        response = anonymous_client.post(CONFIRM, {"token": token}, format="json")

    assert response.status_code == 200


def test_a_tampered_link_is_refused(anonymous_client, daily, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(anonymous_client, "ann@example.com", "daily")
    token = confirmation_token("ann@example.com")
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]

    response = anonymous_client.post(CONFIRM, {"token": tampered}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    assert not Subscription.objects.exists()


def test_unknown_newsletters_are_refused(anonymous_client, daily):
    response = subscribe(anonymous_client, "ann@example.com", "daily", "nope")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_newsletters"


def test_a_subscribers_only_newsletter_takes_no_anonymous_sign_up(anonymous_client):
    NewsletterFactory(slug="insider", audience="subscribers")

    response = subscribe(anonymous_client, "ann@example.com", "insider")

    assert response.status_code == 403
    assert response.json()["code"] == "subscribers_only"


# --- No enumeration ----------------------------------------------------------------


def _signup_answer(client, email, django_assert_num_queries, queries):
    with django_assert_num_queries(queries):
        response = subscribe(client, email, "daily")
    return response.status_code, response.json()


def test_a_known_and_an_unknown_address_get_the_same_answer_after_the_same_work(
    anonymous_client, daily, django_assert_num_queries
):
    NewsletterSubscriptionFactory(
        subscriber=SubscriberFactory(email="known@example.com"), newsletter=daily
    )

    # The request path reads the newsletters only: one query either way (the
    # email goes in a task after commit), so neither time nor answer differs.
    known = _signup_answer(anonymous_client, "known@example.com", django_assert_num_queries, 1)
    unknown = _signup_answer(anonymous_client, "nobody@example.com", django_assert_num_queries, 1)

    assert known == unknown == (202, known[1])


def test_the_email_is_sent_after_commit_never_in_the_request(
    anonymous_client, daily, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        subscribe(anonymous_client, "ann@example.com", "daily")

    assert mail.outbox == []
    assert len(callbacks) == 1


# --- Throttles ---------------------------------------------------------------------


def test_sign_ups_are_throttled_per_address(anonymous_client, daily, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "newsletter_signup_account": "2/hour",
        },
    }

    answers = [
        subscribe(anonymous_client, "ann@example.com", "daily", REMOTE_ADDR=f"198.51.100.{i}")
        for i in range(3)
    ]
    other = subscribe(anonymous_client, "bob@example.com", "daily")

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].json()["code"] == "throttled"
    assert other.status_code == 202


def test_sign_ups_are_throttled_per_ip(anonymous_client, daily, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "newsletter_signup_ip": "2/hour",
        },
    }

    answers = [subscribe(anonymous_client, f"r{i}@example.com", "daily") for i in range(3)]

    assert [a.status_code for a in answers] == [202, 202, 429]
