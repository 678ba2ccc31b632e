"""Free-article metering: FREE_ARTICLES_PER_MONTH distinct articles per calendar month (UTC)."""

from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from entitlements.models import MeteredRead
from entitlements.readers import Reader
from entitlements.selectors import entitlement_decide
from entitlements.services import entitlement_read_article
from tests.helpers.entitlements import ME, drain, read

pytestmark = pytest.mark.django_db


def test_a_new_reader_has_three_free_articles_this_month(reader_client):
    with time_machine.travel(datetime(2026, 3, 14, 9, 30, tzinfo=UTC), tick=False):
        body = reader_client.get(ME).json()

    assert body == {
        "access": "metered",
        "reason": "metered",
        "until": None,
        "metered": {
            "limit": 3,
            "used": 0,
            "remaining": 3,
            "resets_at": "2026-04-01T00:00:00Z",
        },
    }


def test_each_new_article_takes_one_free_article(reader_client):
    first = read(reader_client, "politics-2026-03-14").json()
    second = read(reader_client, "sport:42").json()

    assert first == {"granted": True, "access": "metered", "reason": "metered", "remaining": 2}
    assert second["remaining"] == 1
    assert reader_client.get(ME).json()["metered"]["used"] == 2


def test_past_the_limit_a_new_article_is_refused(reader_client):
    for article in ("a1", "a2", "a3"):
        assert read(reader_client, article).json()["granted"] is True

    refused = read(reader_client, "a4")

    assert refused.status_code == 200
    assert refused.json() == {
        "granted": False,
        "access": "metered",
        "reason": "limit_reached",
        "remaining": 0,
    }
    me = reader_client.get(ME).json()
    assert me["reason"] == "limit_reached"
    assert me["metered"]["used"] == 3
    assert me["metered"]["remaining"] == 0
    assert MeteredRead.objects.count() == 3


def test_rereading_a_counted_article_is_free_even_at_the_limit(reader_client):
    for article in ("a1", "a2", "a3"):
        read(reader_client, article)

    again = read(reader_client, "a2").json()

    assert again == {"granted": True, "access": "metered", "reason": "metered", "remaining": 0}
    assert MeteredRead.objects.count() == 3


def test_a_reread_costs_no_query_once_the_decision_is_cached(
    reader, django_assert_num_queries, django_capture_on_commit_callbacks
):
    me = Reader(user_id=reader.pk)
    with django_capture_on_commit_callbacks(execute=True):
        entitlement_read_article(reader=me, article_id="a1")
    entitlement_decide(reader=me)  # warms the cache after the count invalidated it

    with django_assert_num_queries(0):
        outcome = entitlement_read_article(reader=me, article_id="a1")

    assert outcome.granted is True
    assert outcome.remaining == 2


def test_a_refusal_past_the_limit_costs_no_query_once_cached(
    reader, django_assert_num_queries, django_capture_on_commit_callbacks
):
    me = Reader(user_id=reader.pk)
    with django_capture_on_commit_callbacks(execute=True):
        for article in ("a1", "a2", "a3"):
            entitlement_read_article(reader=me, article_id=article)
    entitlement_decide(reader=me)

    with django_assert_num_queries(0):
        outcome = entitlement_read_article(reader=me, article_id="a4")

    assert outcome.granted is False
    assert outcome.reason == "limit_reached"


def test_the_meter_resets_at_the_start_of_the_next_utc_month(reader_client):
    with time_machine.travel(datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC), tick=False):
        for article in ("a1", "a2", "a3"):
            read(reader_client, article)
        assert read(reader_client, "a4").json()["granted"] is False
        before = reader_client.get(ME).json()

    with time_machine.travel(datetime(2026, 2, 1, 0, 0, 0, tzinfo=UTC), tick=False):
        after = reader_client.get(ME).json()
        reread = read(reader_client, "a1").json()
        fresh = read(reader_client, "a4").json()

    assert before["metered"]["resets_at"] == "2026-02-01T00:00:00Z"
    assert after["reason"] == "metered"
    assert after["metered"] == {
        "limit": 3,
        "used": 0,
        "remaining": 3,
        "resets_at": "2026-03-01T00:00:00Z",
    }
    # January's articles count again in February: a new month, a new meter.
    assert reread == {"granted": True, "access": "metered", "reason": "metered", "remaining": 2}
    assert fresh["remaining"] == 1


def test_december_resets_on_the_first_of_january(reader_client):
    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=UTC), tick=False):
        body = reader_client.get(ME).json()

    assert body["metered"]["resets_at"] == "2027-01-01T00:00:00Z"


def test_the_limit_follows_the_setting(reader_client, settings):
    settings.FREE_ARTICLES_PER_MONTH = 5
    for article in ("a1", "a2", "a3", "a4"):
        read(reader_client, article)

    body = reader_client.get(ME).json()

    assert body["metered"] == {**body["metered"], "limit": 5, "used": 4, "remaining": 1}


def test_a_cached_decision_follows_a_changed_limit(reader, settings):
    me = Reader(user_id=reader.pk)
    assert entitlement_decide(reader=me).metered.limit == 3

    settings.FREE_ARTICLES_PER_MONTH = 10

    assert entitlement_decide(reader=me).metered.limit == 10


@pytest.mark.parametrize(
    "article_id",
    [
        "a" * 129,
        "has space",
        "semi;colon",
        "slash%2Fencoded",
        "caf%C3%A9",
        "quote'",
        "",
    ],
)
def test_bad_article_ids_are_a_400(reader_client, article_id):
    response = read(reader_client, article_id)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_article_id"
    assert MeteredRead.objects.count() == 0


@pytest.mark.parametrize("article_id", ["a", "a" * 128, "A-z_0.9:x", "news:2026/x"[:9]])
def test_good_article_ids_are_counted(reader_client, article_id):
    response = read(reader_client, article_id)

    assert response.status_code == 200
    assert MeteredRead.objects.get().article_id == article_id


def test_a_leaving_reader_s_reading_history_can_be_erased(reader, reader_client):
    from entitlements.models import Meter
    from entitlements.services import meter_erase_for_user

    read(reader_client, "a1")
    read(reader_client, "a2")
    other = read(APIClient(), "a1")  # an anonymous reader's meter stays

    assert meter_erase_for_user(user=reader) == 2
    drain()

    assert other.status_code == 200
    assert not Meter.objects.filter(user=reader).exists()
    assert MeteredRead.objects.count() == 1
    assert reader_client.get(ME).json()["metered"]["used"] == 0
