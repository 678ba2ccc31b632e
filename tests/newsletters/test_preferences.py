"""GET/PUT /api/newsletters/preferences/, the newsletters ticked at registration, and an
address confirmed before registering that joins the account once its email is verified."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from newsletters.models import Subscriber, Subscription, Suppression
from tests.factories import DEFAULT_PASSWORD, NewsletterFactory
from tests.helpers.clients import client_for
from tests.helpers.newsletters import PREFERENCES, confirmation_emails, sign_up_and_confirm

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/registration/"


def _put(client, **choices):
    items = [{"slug": slug, "subscribed": on} for slug, on in choices.items()]
    return client.put(PREFERENCES, {"newsletters": items}, format="json")


def _statuses(body) -> dict[str, bool]:
    return {n["slug"]: n["subscribed"] for n in body["newsletters"]}


def _verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_preferences_need_a_signed_in_reader(anonymous_client, daily):
    assert anonymous_client.get(PREFERENCES).status_code == 401


def test_a_reader_sees_every_newsletter_unticked_at_first(reader_client, daily, weekly):
    body = reader_client.get(PREFERENCES).json()

    assert _statuses(body) == {"daily": False, "weekly": False}


def test_with_a_verified_email_ticking_subscribes_at_once(reader, reader_client, daily, weekly):
    _verified(reader)

    response = _put(reader_client, daily=True)

    assert response.status_code == 200
    assert _statuses(response.json()) == {"daily": True, "weekly": False}
    assert response.json()["awaiting_confirmation"] == []
    subscription = Subscription.objects.get()
    assert subscription.subscriber.user == reader
    assert subscription.source == "preferences"


def test_with_an_unverified_email_ticking_sends_a_confirmation(
    reader, reader_client, daily, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _put(reader_client, daily=True)

    assert _statuses(response.json()) == {"daily": False}
    assert response.json()["awaiting_confirmation"] == ["daily"]
    assert len(confirmation_emails(reader.email)) == 1
    assert not Subscription.objects.exists()


def test_unticking_unsubscribes(reader, reader_client, daily, weekly):
    _verified(reader)
    _put(reader_client, daily=True, weekly=True)

    response = _put(reader_client, daily=False)

    assert _statuses(response.json()) == {"daily": False, "weekly": True}
    assert Suppression.objects.filter(newsletter=daily).exists()


def test_ticking_again_with_a_verified_email_lifts_the_lists_suppression(
    reader, reader_client, daily
):
    _verified(reader)
    _put(reader_client, daily=True)
    _put(reader_client, daily=False)

    response = _put(reader_client, daily=True)

    assert _statuses(response.json()) == {"daily": True}
    assert not Suppression.objects.exists()


def test_a_subscribers_only_newsletter_is_refused_to_a_reader_without_a_subscription(
    reader, reader_client
):
    _verified(reader)
    NewsletterFactory(slug="insider", audience="subscribers")

    response = _put(reader_client, insider=True)

    assert response.status_code == 403
    assert response.json()["code"] == "subscribers_only"


# --- Registration --------------------------------------------------------------------


def _register(client, email, **extra):
    body = {"email": email, "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD, **extra}
    return client.post(REGISTER, body, format="json")


def test_registration_subscribes_to_nothing_unless_ticked(
    anonymous_client, daily, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _register(anonymous_client, "new@example.com")

    assert response.status_code == 201
    assert confirmation_emails("new@example.com") == []
    assert not Subscription.objects.exists()


def test_newsletters_ticked_at_registration_are_confirmed_by_email(
    anonymous_client, daily, weekly, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _register(anonymous_client, "new@example.com", newsletters=["weekly"])

    assert response.status_code == 201
    (message,) = confirmation_emails("new@example.com")
    assert "The Weekly" in message.body
    assert "The Daily" not in message.body


def test_an_unknown_newsletter_at_registration_creates_no_account(anonymous_client, daily):
    response = _register(anonymous_client, "new@example.com", newsletters=["nope"])

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_newsletters"
    assert not EmailAddress.objects.filter(email="new@example.com").exists()


def test_an_address_confirmed_before_registering_joins_the_account_once_verified(
    anonymous_client, daily, django_capture_on_commit_callbacks
):
    sign_up_and_confirm(anonymous_client, "ann@example.com", "daily")
    with django_capture_on_commit_callbacks(execute=True):
        _register(anonymous_client, "ann@example.com")
    assert Subscriber.objects.get().user is None  # not before the address is verified

    verification = next(m for m in mail.outbox if "verify-email/" in m.body)
    key = re.search(r"verify-email/(\S+)", verification.body).group(1)
    response = anonymous_client.post(
        "/api/auth/registration/verify-email/", {"key": key}, format="json"
    )

    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.user is not None
    assert _statuses(client_for(subscriber.user).get(PREFERENCES).json()) == {"daily": True}


def test_the_address_linked_to_the_account_wins_over_another_with_its_email(reader, reader_client):
    daily = NewsletterFactory(slug="daily")
    weekly = NewsletterFactory(slug="weekly")
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(
            email="old@example.com", email_hash="a" * 64, user=reader
        ),
        newsletter=daily,
        consented_at=reader.date_joined,
        confirmed_at=reader.date_joined,
        source="signup",
    )
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(email=reader.email, email_hash="b" * 64),
        newsletter=weekly,
        consented_at=reader.date_joined,
        confirmed_at=reader.date_joined,
        source="signup",
    )

    assert _statuses(reader_client.get(PREFERENCES).json()) == {"daily": True, "weekly": False}
