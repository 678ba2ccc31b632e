"""The one-click unsubscribe URL (RFC 8058): POST unsubscribes, GET changes nothing; the
suppression list keeps only a hash and holds until a new confirmation."""

from __future__ import annotations

import pytest

from newsletters.links import unsubscribe_url
from newsletters.models import Subscriber, SubscriberChange, Subscription, Suppression
from newsletters.selectors import email_hash
from tests.factories import NewsletterSubscriptionFactory, SubscriberFactory
from tests.helpers.newsletters import (
    confirmation_emails,
    list_unsubscribe_path,
    sign_up_and_confirm,
    subscribe,
    unsubscribe_path,
)

pytestmark = pytest.mark.django_db


def _one_click(subscription) -> str:
    return unsubscribe_path(unsubscribe_url(subscription_uid=str(subscription.uid)))


def test_a_get_shows_a_page_and_changes_nothing(anonymous_client, daily):
    subscription = NewsletterSubscriptionFactory(newsletter=daily)

    response = anonymous_client.get(_one_click(subscription))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'<form method="post">' in response.content
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_a_post_unsubscribes_without_signing_in_and_answers_200(anonymous_client, daily, weekly):
    subscriber = SubscriberFactory(email="ann@example.com")
    subscription = NewsletterSubscriptionFactory(subscriber=subscriber, newsletter=daily)
    NewsletterSubscriptionFactory(subscriber=subscriber, newsletter=weekly)

    response = anonymous_client.post(
        _one_click(subscription),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert list(subscriber.subscriptions.values_list("newsletter__slug", flat=True)) == ["weekly"]
    assert Suppression.objects.filter(
        email_hash=email_hash("ann@example.com"), newsletter=daily
    ).exists()


@pytest.mark.parametrize("accept", ["text/html", "application/json", "image/png", None])
def test_the_post_answers_200_whatever_it_accepts(anonymous_client, daily, accept):
    path = _one_click(NewsletterSubscriptionFactory(newsletter=daily))
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = anonymous_client.post(
        path, {"List-Unsubscribe": "One-Click"}, format="multipart", **headers
    )

    assert response.status_code == 200
    assert not Subscription.objects.exists()


def test_the_pages_own_button_gets_a_page_back(anonymous_client, daily):
    path = _one_click(NewsletterSubscriptionFactory(newsletter=daily))

    response = anonymous_client.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8",
    )

    assert response.status_code == 200
    assert b"You are unsubscribed." in response.content


def test_a_second_post_answers_the_same(anonymous_client, daily):
    path = _one_click(NewsletterSubscriptionFactory(newsletter=daily))

    first = anonymous_client.post(path)
    second = anonymous_client.post(path)

    assert (first.status_code, second.status_code) == (200, 200)


def test_the_last_list_left_forgets_the_address_keeping_its_hash_only(anonymous_client, daily):
    subscriber = SubscriberFactory(email="ann@example.com")
    subscription = NewsletterSubscriptionFactory(subscriber=subscriber, newsletter=daily)

    anonymous_client.post(_one_click(subscription))

    assert not Subscriber.objects.filter(email="ann@example.com").exists()
    assert Suppression.objects.get().email_hash == email_hash("ann@example.com")


def test_a_forged_link_is_refused(anonymous_client, daily):
    subscription = NewsletterSubscriptionFactory(newsletter=daily)
    path = _one_click(subscription)
    forged = path.replace(path.rstrip("/").split(":")[-1], "forged")

    assert anonymous_client.post(forged).status_code == 400
    assert anonymous_client.get(forged).status_code == 400
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_a_suppressed_address_is_not_re_added_without_a_new_confirmation(
    anonymous_client, daily, django_capture_on_commit_callbacks
):
    sign_up_and_confirm(anonymous_client, "ann@example.com", "daily")
    anonymous_client.post(_one_click(Subscription.objects.get()))

    with django_capture_on_commit_callbacks(execute=True):
        subscribe(anonymous_client, "ann@example.com", "daily")

    assert not Subscription.objects.exists()  # asked again: still only a link in a mailbox
    sign_up_and_confirm(anonymous_client, "ann@example.com", "daily")
    assert Subscription.objects.filter(subscriber__email="ann@example.com").exists()
    assert not Suppression.objects.exists()  # the new confirmation lifted it


def test_the_confirmation_emails_list_unsubscribe_means_never_email_me(
    anonymous_client, daily, weekly, django_capture_on_commit_callbacks
):
    sign_up_and_confirm(anonymous_client, "ann@example.com", "daily", "weekly")
    header = confirmation_emails("ann@example.com")[-1].extra_headers["List-Unsubscribe"]

    response = anonymous_client.post(list_unsubscribe_path(header))

    assert response.status_code == 200
    assert not Subscription.objects.exists()
    assert Suppression.objects.filter(newsletter=None).count() == 1
    before = len(confirmation_emails("ann@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        again = subscribe(anonymous_client, "ann@example.com", "daily")
    assert again.status_code == 202  # the same answer as for anyone...
    assert len(confirmation_emails("ann@example.com")) == before  # ...and no email sent


def test_unsubscribing_records_a_removal_for_the_sync_without_the_address(anonymous_client, daily):
    sign_up_and_confirm(anonymous_client, "ann@example.com", "daily")

    anonymous_client.post(_one_click(Subscription.objects.get()))

    changes = list(SubscriberChange.objects.values_list("action", "email", "email_hash"))
    hashed = email_hash("ann@example.com")
    assert changes == [("added", "", hashed), ("removed", "", hashed)]
