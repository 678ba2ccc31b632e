"""Leaving: account deletion and erasure requests take the address off every list; staff
unsubscribe on request (audited); the admin lists newsletters with their counts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditLog
from newsletters.models import ReaderLink, Subscriber, SubscriberChange, Subscription
from newsletters.selectors import email_hash
from tests.factories import (
    NewsletterFactory,
    NewsletterSubscriptionFactory,
    SubscriberFactory,
    UserFactory,
)
from tests.helpers.newsletters import sign_up_and_confirm

pytestmark = pytest.mark.django_db


def _staff(client, role):
    staff = UserFactory(is_staff=True)
    staff.groups.set(Group.objects.filter(name=role))
    client.force_login(staff)
    return staff


def test_deleting_an_account_takes_its_address_off_every_list(
    anonymous_client, reader, reader_client, daily, weekly
):
    sign_up_and_confirm(anonymous_client, reader.email, "daily", "weekly")

    assert reader_client.delete("/api/auth/user/").status_code == 204

    assert not Subscription.objects.exists()
    assert not Subscriber.objects.exists()
    assert not ReaderLink.objects.exists()
    assert not SubscriberChange.objects.exclude(email="").exists()  # the feed keeps hashes only
    assert SubscriberChange.objects.filter(action="removed").count() == 2


def test_an_account_linked_to_another_address_loses_that_one_too(reader, reader_client, daily):
    NewsletterSubscriptionFactory(
        subscriber=SubscriberFactory(email="old@example.com", user=reader), newsletter=daily
    )

    reader_client.delete("/api/auth/user/")

    assert not Subscriber.objects.exists()


@pytest.mark.usefixtures("roles")
def test_support_erases_an_address_on_request_audited_without_the_address(client, daily):
    subscriber = SubscriberFactory(email="ann@example.com")
    NewsletterSubscriptionFactory(subscriber=subscriber, newsletter=daily)
    staff = _staff(client, "support")

    response = client.post(
        "/admin/newsletters/subscriber/",
        {"action": "erase", "_selected_action": [subscriber.pk]},
    )

    assert response.status_code == 302
    assert not Subscriber.objects.exists()
    entry = AuditLog.objects.get(action="newsletters.erased")
    assert entry.actor_user == staff
    assert entry.before == {"email_sha256": email_hash("ann@example.com")}
    assert not AuditLog.objects.filter(before__icontains="ann@example.com").exists()


@pytest.mark.usefixtures("roles")
def test_support_unsubscribes_on_request_and_it_is_audited(client, daily, weekly):
    subscriber = SubscriberFactory(email="ann@example.com")
    subscription = NewsletterSubscriptionFactory(subscriber=subscriber, newsletter=daily)
    NewsletterSubscriptionFactory(subscriber=subscriber, newsletter=weekly)
    staff = _staff(client, "support")

    client.post(
        "/admin/newsletters/subscription/",
        {"action": "unsubscribe", "_selected_action": [subscription.pk]},
    )

    assert list(subscriber.subscriptions.values_list("newsletter__slug", flat=True)) == ["weekly"]
    entry = AuditLog.objects.get(action="newsletters.unsubscribed")
    assert entry.actor_user == staff
    assert entry.reason == "unsubscribed in admin on the reader's request"
    assert entry.before["newsletter"] == "daily"


@pytest.mark.usefixtures("roles")
def test_staff_find_a_subscriber_by_email(client, daily):
    NewsletterSubscriptionFactory(subscriber=SubscriberFactory(email="ann@example.com"))
    NewsletterSubscriptionFactory(subscriber=SubscriberFactory(email="bob@example.com"))
    _staff(client, "support")

    page = client.get("/admin/newsletters/subscriber/", {"q": "ann@"}).content.decode()

    assert "ann@example.com" in page
    assert "bob@example.com" not in page


@pytest.mark.usefixtures("roles")
def test_the_newsletter_list_shows_confirmed_counts_in_constant_queries(client, daily):
    NewsletterSubscriptionFactory.create_batch(2, newsletter=daily)
    _staff(client, "marketing")

    def queries_for_list() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            page = client.get("/admin/newsletters/newsletter/")
        assert page.status_code == 200
        return len(captured)

    with_one = queries_for_list()
    for i in range(4):
        NewsletterSubscriptionFactory(newsletter=NewsletterFactory(slug=f"extra-{i}"))
    assert queries_for_list() == with_one
    page = client.get("/admin/newsletters/newsletter/").content.decode()
    assert '<td class="field-confirmed">2</td>' in page
