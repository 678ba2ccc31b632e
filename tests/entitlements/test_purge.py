"""Meters of past months are purged; the current and the previous month stay."""

from datetime import UTC, date, datetime

import pytest

from entitlements.models import Meter, MeteredRead, ReaderVersion
from entitlements.services import meters_purge
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def meter(user, month):
    m = Meter.objects.create(user=user, month=month)
    MeteredRead.objects.create(meter=m, article_id="a-1", read_at=datetime(2026, 1, 1, tzinfo=UTC))
    return m


def test_meters_older_than_last_month_go_with_their_reads():
    user = UserFactory()
    old = meter(user, date(2026, 9, 1))
    last_month = meter(user, date(2026, 10, 1))
    current = meter(user, date(2026, 11, 1))

    purged = meters_purge(keep_months=2, now=datetime(2026, 11, 25, tzinfo=UTC))

    assert purged == 1
    assert set(Meter.objects.values_list("pk", flat=True)) == {last_month.pk, current.pk}
    assert not MeteredRead.objects.filter(meter_id=old.pk).exists()


def test_versions_of_anonymous_readers_gone_quiet_go_and_accounts_keep_theirs():
    def version(key, changed_at):
        ReaderVersion.objects.create(reader_key=key, version=4, changed_at=changed_at)

    version("a" + "1" * 32, datetime(2026, 9, 30, tzinfo=UTC))  # quiet since before last month
    version("a" + "2" * 32, datetime(2026, 10, 2, tzinfo=UTC))
    version("u7", datetime(2026, 1, 1, tzinfo=UTC))

    meters_purge(keep_months=2, now=datetime(2026, 11, 25, tzinfo=UTC))

    assert set(ReaderVersion.objects.values_list("reader_key", flat=True)) == {"a" + "2" * 32, "u7"}


def test_the_purge_is_scheduled_hourly(periodic_tasks):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="entitlements.tasks.purge_old_meters")
    assert (task.interval.every, task.interval.period) == (1, "hours")


def test_a_run_deletes_at_most_its_bound_and_the_next_run_the_rest():
    user = UserFactory()
    old = [meter(user, date(2026, m, 1)) for m in range(1, 6)]
    kept = meter(user, date(2026, 10, 1))
    now = datetime(2026, 11, 25, tzinfo=UTC)

    assert meters_purge(now=now, limit=3) == 3
    assert Meter.objects.count() == 3
    assert meters_purge(now=now, limit=3) == 2
    assert list(Meter.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not MeteredRead.objects.filter(meter__in=[m.pk for m in old]).exists()
