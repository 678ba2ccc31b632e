"""A newsletter for paying subscribers only: a reader whose subscription gives access may
tick it; when the subscription stops giving access, the reader leaves that list."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsletters.models import SubscriberChange, Suppression
from newsletters.services import newsletters_for_signup
from tests.factories import NewsletterFactory
from tests.helpers.billing import start_trial
from tests.helpers.newsletters import PREFERENCES

pytestmark = pytest.mark.django_db


@pytest.fixture
def insider(db):
    return NewsletterFactory(slug="insider", audience="subscribers")


def _tick(client, **choices):
    items = [{"slug": slug, "subscribed": on} for slug, on in choices.items()]
    return client.put(PREFERENCES, {"newsletters": items}, format="json")


def _statuses(client) -> dict[str, bool]:
    return {n["slug"]: n["subscribed"] for n in client.get(PREFERENCES).json()["newsletters"]}


def test_a_reader_whose_subscription_ends_leaves_the_subscribers_only_lists(
    plans, reader, reader_client, daily, insider, django_capture_on_commit_callbacks
):
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    start_trial(reader_client)
    assert _tick(reader_client, insider=True, daily=True).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = reader_client.post(
            "/api/billing/subscription/cancel/",
            {"reason": "other", "comment": "bye", "at_period_end": False},
            format="json",
        )

    assert response.status_code == 200, response.json()
    assert _statuses(reader_client) == {"daily": True, "insider": False}
    assert SubscriberChange.objects.filter(newsletter=insider, action="removed").count() == 1
    assert not Suppression.objects.exists()  # not the reader's choice: they may come back


def test_the_readers_access_is_asked_once_however_many_subscribers_only_lists_are_named(
    plans, reader, reader_client, insider
):
    NewsletterFactory(slug="insider-weekly", audience="subscribers")
    start_trial(reader_client)

    def queries(slugs: list[str]) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert [n.slug for n in newsletters_for_signup(slugs=slugs, user=reader)] == slugs
        return len(captured)

    assert queries(["insider", "insider-weekly"]) == queries(["insider"])
