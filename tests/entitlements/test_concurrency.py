"""Concurrent reads of different articles never take more than the free articles.

Real PostgreSQL (row locks) and real threads, each with its own connection.
"""

import pytest

from entitlements.models import MeteredRead
from entitlements.readers import Reader, reader_id_new
from entitlements.services import entitlement_read_article, meter_record_read
from tests.helpers.entitlements import drain, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("kind", ["account", "anonymous"])
def test_different_articles_at_once_get_only_the_free_ones(kind):
    from tests.factories import UserFactory

    reader = Reader(user_id=UserFactory().pk) if kind == "account" else reader_id_new()[0]
    reader = Reader(user_id=reader.user_id, anonymous_id=reader.anonymous_id)

    outcomes = run_together(
        lambda i: entitlement_read_article(reader=reader, article_id=f"article-{i}")
    )

    assert sum(o.granted for o in outcomes) == 3
    drain()  # an anonymous reader's reads counted in Redis reach PostgreSQL
    assert MeteredRead.objects.count() == 3
    refused = [o for o in outcomes if not o.granted]
    assert {o.reason for o in refused} == {"limit_reached"}


def test_the_same_article_at_once_is_counted_once():
    from tests.factories import UserFactory

    reader = Reader(user_id=UserFactory().pk)

    outcomes = run_together(lambda i: meter_record_read(reader=reader, article_id="same"))

    assert all(granted for granted, _ in outcomes)
    assert MeteredRead.objects.count() == 1
