"""The registration wall: FREE_ARTICLES_ANONYMOUS and FREE_ARTICLES_REGISTERED.

When registering would give more free articles, an anonymous reader out of
articles is told "registration_required" (the sign-up wall, not the trial wall);
after registering the meter carries over. A confirmed newsletter address, confirmed
with the reader's id, counts as registered while it is on a list.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from newsletters.links import unsubscribe_url
from newsletters.models import Subscription
from tests.factories import NewsletterFactory
from tests.helpers.entitlements import ME, read
from tests.helpers.newsletters import sign_up_and_confirm, unsubscribe_path

pytestmark = pytest.mark.django_db

PASSWORD = "plum-kettle-orbit-47"


@pytest.fixture
def wall(settings):
    settings.FREE_ARTICLES_ANONYMOUS = 2
    settings.FREE_ARTICLES_REGISTERED = 5


def _register(client):
    response = client.post(
        "/api/auth/registration/",
        {"email": "new.reader@example.com", "password1": PASSWORD, "password2": PASSWORD},
        format="json",
    )
    assert response.status_code == 201, response.json()
    account = APIClient()
    account.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    return account


@pytest.mark.usefixtures("wall")
def test_an_anonymous_reader_out_of_articles_is_asked_to_register(anonymous_client):
    assert read(anonymous_client, "a1").json()["remaining"] == 1
    assert read(anonymous_client, "a2").json()["remaining"] == 0

    third = read(anonymous_client, "a3").json()

    assert third == {
        "granted": False,
        "access": "metered",
        "reason": "registration_required",
        "remaining": 0,
    }
    me = anonymous_client.get(ME).json()
    assert me["reason"] == "registration_required"
    assert me["metered"]["limit"] == 2
    assert read(anonymous_client, "a1").json()["granted"] is True  # a re-read stays free


@pytest.mark.usefixtures("wall")
def test_after_registering_the_meter_carries_over_to_the_larger_allowance(anonymous_client):
    read(anonymous_client, "a1")
    read(anonymous_client, "a2")

    account = _register(anonymous_client)

    me = account.get(ME).json()
    assert me["metered"] == {**me["metered"], "limit": 5, "used": 2, "remaining": 3}
    assert read(account, "a3").json()["granted"] is True
    for article in ("a4", "a5"):
        read(account, article)
    # out of the registered allowance: the trial wall, not the sign-up wall
    assert read(account, "a6").json()["reason"] == "limit_reached"


def test_without_a_larger_registered_allowance_it_is_the_usual_limit(anonymous_client, settings):
    settings.FREE_ARTICLES_ANONYMOUS = 2
    settings.FREE_ARTICLES_REGISTERED = 2
    read(anonymous_client, "a1")
    read(anonymous_client, "a2")

    assert read(anonymous_client, "a3").json()["reason"] == "limit_reached"


def test_by_default_both_allowances_are_free_articles_per_month(anonymous_client, settings):
    settings.FREE_ARTICLES_PER_MONTH = 3
    for article in ("a1", "a2", "a3"):
        assert read(anonymous_client, article).json()["granted"] is True

    assert read(anonymous_client, "a4").json()["reason"] == "limit_reached"


@pytest.mark.usefixtures("wall")
def test_a_cached_decision_follows_a_change_of_allowance(anonymous_client, settings):
    read(anonymous_client, "a1")
    read(anonymous_client, "a2")
    assert anonymous_client.get(ME).json()["reason"] == "registration_required"

    settings.FREE_ARTICLES_ANONYMOUS = 5

    assert anonymous_client.get(ME).json()["metered"]["remaining"] == 3


@pytest.mark.usefixtures("wall")
def test_a_confirmed_newsletter_subscriber_reads_as_registered(anonymous_client):
    NewsletterFactory(slug="daily")
    read(anonymous_client, "a1")
    read(anonymous_client, "a2")
    assert read(anonymous_client, "a3").json()["reason"] == "registration_required"

    # The confirmation comes with this reader's id (its cookie): the address is proven.
    assert sign_up_and_confirm(anonymous_client, "ann@example.com", "daily").status_code == 200

    assert read(anonymous_client, "a3").json() == {
        "granted": True,
        "access": "metered",
        "reason": "metered",
        "remaining": 2,
    }
    assert anonymous_client.get(ME).json()["metered"]["limit"] == 5


@pytest.mark.usefixtures("wall")
def test_a_sign_up_alone_without_confirming_counts_for_nothing(
    anonymous_client, django_capture_on_commit_callbacks
):
    NewsletterFactory(slug="daily")
    read(anonymous_client, "a1")
    read(anonymous_client, "a2")
    with django_capture_on_commit_callbacks(execute=True):
        anonymous_client.post(
            "/api/newsletters/subscribe/",
            {"email": "ann@example.com", "newsletters": ["daily"]},
            format="json",
        )

    assert read(anonymous_client, "a3").json()["reason"] == "registration_required"


@pytest.mark.usefixtures("wall")
def test_another_browser_confirming_does_not_make_this_reader_registered(anonymous_client):
    NewsletterFactory(slug="daily")
    read(anonymous_client, "a1")
    read(anonymous_client, "a2")

    sign_up_and_confirm(APIClient(), "ann@example.com", "daily")

    assert read(anonymous_client, "a3").json()["reason"] == "registration_required"


@pytest.mark.usefixtures("wall")
def test_unsubscribing_from_every_list_ends_the_registered_allowance(
    anonymous_client, django_capture_on_commit_callbacks
):
    NewsletterFactory(slug="daily")
    for article in ("a1", "a2", "a3"):
        read(anonymous_client, article)
    sign_up_and_confirm(anonymous_client, "ann@example.com", "daily")
    assert anonymous_client.get(ME).json()["metered"]["limit"] == 5  # cached now

    url = unsubscribe_url(subscription_uid=str(Subscription.objects.get().uid))
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post(unsubscribe_path(url))

    me = anonymous_client.get(ME).json()
    assert me["metered"]["limit"] == 2
    assert me["metered"]["remaining"] == 0  # 3 read of 2...
    assert me["reason"] == "registration_required"  # ...and registering would give more


def test_a_decision_cached_in_the_former_shape_is_recomputed(anonymous_client):
    """Decisions cached before this release (nine fields) are not read as today's."""
    from entitlements import cache
    from entitlements.readers import reader_id_verify

    token = read(anonymous_client, "a1")["X-Reader-Id"]
    key = reader_id_verify(token).key
    anonymous_client.get(ME)  # cached now
    _, cached = cache.read_pair(key)
    cache.store(cache.decision_key(key), cached[:9], timeout=60)

    assert anonymous_client.get(ME).json()["metered"]["used"] == 1
