"""`manage.py setup_periodic_tasks`: every periodic job declared once (config/schedule.py),
made into django-celery-beat rows idempotently, an operator's schedule kept."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from config import schedule
from config.schedule import PERIODIC_JOBS, Interval, PeriodicJob

pytestmark = pytest.mark.django_db

REQUEUE = "billing: requeue unprocessed Stripe events"
RECONCILE = "billing: reconcile subscriptions with Stripe"
PURGE = "entitlements: purge meters of past months"
PAUSE_REMINDERS = "billing: remind readers that their pause ends"
PRUNE = "billing: prune old Stripe events and attempts"
DRAIN = "entitlements: drain metered reads into PostgreSQL"


def setup(*args: str) -> str:
    out = io.StringIO()
    call_command("setup_periodic_tasks", *args, stdout=out)
    return out.getvalue()


def rows() -> list[tuple]:
    """Everything about every row, the time of its last change included."""
    return [
        (
            t.name,
            t.task,
            t.interval.every,
            t.interval.period,
            t.enabled,
            t.description,
            t.date_changed,
        )
        for t in PeriodicTask.objects.select_related("interval").order_by("name")
    ]


@pytest.fixture
def empty():
    """A database without the rows the shipped data migrations made."""
    PeriodicTask.objects.all().delete()
    IntervalSchedule.objects.all().delete()


def interval_of(name: str) -> tuple[int, str]:
    task = PeriodicTask.objects.select_related("interval").get(name=name)
    return task.interval.every, task.interval.period


def test_every_declared_job_runs_a_task_a_worker_has_registered():
    from config.celery import app

    assert schedule.unregistered_tasks() == []
    for job in PERIODIC_JOBS:
        assert job.task in app.tasks, job.task
    assert len({job.name for job in PERIODIC_JOBS}) == len(PERIODIC_JOBS)
    assert len({job.task for job in PERIODIC_JOBS}) == len(PERIODIC_JOBS)


def test_a_fresh_database_gets_every_declared_job(empty):
    out = setup()

    assert [(n, t, every, period, enabled) for n, t, every, period, enabled, *_ in rows()] == [
        (
            "billing: prune old Stripe events and attempts",
            "billing.tasks.prune_stripe_records",
            1,
            "hours",
            True,
        ),
        (
            "billing: reconcile subscriptions with Stripe",
            "billing.tasks.reconcile_subscriptions",
            60,
            "minutes",
            True,
        ),
        (
            "billing: remind readers that their pause ends",
            "billing.tasks.send_pause_reminders",
            1,
            "hours",
            True,
        ),
        (
            "billing: requeue unprocessed Stripe events",
            "billing.tasks.requeue_stripe_events",
            1,
            "minutes",
            True,
        ),
        (
            "entitlements: drain metered reads into PostgreSQL",
            "entitlements.tasks.drain_metered_reads",
            2,
            "seconds",
            True,
        ),
        (
            "entitlements: purge meters of past months",
            "entitlements.tasks.purge_old_meters",
            1,
            "hours",
            True,
        ),
    ]
    assert f"created: {RECONCILE}; {REQUEUE}; {PAUSE_REMINDERS}; {PURGE}; {DRAIN}; {PRUNE}" in out


def test_running_twice_changes_nothing_and_duplicates_nothing(empty):
    setup()
    before = rows()
    intervals = IntervalSchedule.objects.count()
    last_update = PeriodicTasks.last_change()

    out = setup()

    assert rows() == before
    assert IntervalSchedule.objects.count() == intervals
    assert PeriodicTasks.last_change() == last_update  # a running beat reloads nothing
    assert f"unchanged: {RECONCILE}; {REQUEUE}; {PAUSE_REMINDERS}; {PURGE}" in out
    assert "created" not in out
    assert "updated" not in out
    setup("--check")


def test_the_rows_the_shipped_migrations_made_are_taken_up_not_doubled():
    made = sorted(PeriodicTask.objects.values_list("task", flat=True))

    setup()
    setup()

    # Each declared job has one row: the migrations' rows taken up, jobs declared
    # since (the pause reminders) added once.
    tasks = sorted(PeriodicTask.objects.values_list("task", flat=True))
    assert tasks == sorted({job.task for job in PERIODIC_JOBS})
    assert set(made) <= set(tasks)


def test_an_operators_schedule_and_disabled_job_are_kept(empty):
    setup()
    requeue = PeriodicTask.objects.get(name=REQUEUE)
    requeue.interval, _ = IntervalSchedule.objects.get_or_create(every=2, period="minutes")
    requeue.save()
    PeriodicTask.objects.filter(name=PURGE).update(enabled=False)
    before = rows()

    out = setup()

    assert rows() == before
    assert interval_of(REQUEUE) == (2, "minutes")
    assert PeriodicTask.objects.get(name=PURGE).enabled is False
    assert f"{REQUEUE} (every 2 minutes; declared: every 1 minutes)" in out
    assert f"{PURGE} (every 1 hours, disabled; declared: every 1 hours)" in out
    setup("--check")  # a kept change is not a change to make


def test_reset_restores_the_declared_schedule_and_enables(empty):
    setup()
    requeue = PeriodicTask.objects.get(name=REQUEUE)
    requeue.interval, _ = IntervalSchedule.objects.get_or_create(every=2, period="minutes")
    requeue.enabled = False
    requeue.save()

    setup("--reset")

    assert interval_of(REQUEUE) == (1, "minutes")
    assert PeriodicTask.objects.get(name=REQUEUE).enabled is True


def test_a_row_still_on_an_earlier_declared_interval_follows_the_new_one(empty):
    """What migration 0008 did once (5 minutes to 1), the declaration now does."""
    setup()
    requeue = PeriodicTask.objects.get(name=REQUEUE)
    requeue.interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    requeue.save()

    out = setup()

    assert interval_of(REQUEUE) == (1, "minutes")
    assert f"updated: {REQUEUE}" in out


def test_a_job_renamed_in_admin_keeps_its_one_row(empty):
    setup()
    PeriodicTask.objects.filter(name=RECONCILE).update(name="Hourly Stripe sync")

    setup()

    assert list(
        PeriodicTask.objects.filter(task="billing.tasks.reconcile_subscriptions").values_list(
            "name", flat=True
        )
    ) == ["Hourly Stripe sync"]
    setup("--reset")
    assert PeriodicTask.objects.filter(task="billing.tasks.reconcile_subscriptions").get().name == (
        RECONCILE
    )


def test_check_fails_and_writes_nothing_when_a_run_would_change_something(empty):
    with pytest.raises(CommandError, match="would change"):
        setup("--check")

    assert not PeriodicTask.objects.exists()


def test_a_job_naming_an_unregistered_task_is_refused_and_is_a_system_check_error(
    empty, monkeypatch
):
    typo = PeriodicJob(
        name="billing: typo",
        task="billing.tasks.requeue_stripe_event",
        every=Interval(every=1, period="minutes"),
        description="",
    )
    monkeypatch.setattr(schedule, "PERIODIC_JOBS", (*PERIODIC_JOBS, typo))

    with pytest.raises(CommandError, match=r"billing\.tasks\.requeue_stripe_event\b"):
        setup()
    assert not PeriodicTask.objects.exists()
    errors = [m for m in run_checks() if m.id == "config.E005"]
    assert len(errors) == 1
    assert "billing.tasks.requeue_stripe_event'" in errors[0].msg
    assert errors[0].hint


def test_the_requeue_interval_is_the_one_the_recovery_bound_assumes():
    from config.task_limits import REQUEUE_INTERVAL_SECONDS

    requeue = next(job for job in PERIODIC_JOBS if job.name == REQUEUE)
    assert requeue.every == Interval.of(timedelta(seconds=REQUEUE_INTERVAL_SECONDS))
    assert (requeue.every.every, requeue.every.period) == (1, "minutes")
    assert REQUEUE_INTERVAL_SECONDS == 60


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (1, (1, "seconds")),
        (90, (90, "seconds")),
        (60, (1, "minutes")),
        (7200, (2, "hours")),
        (86400, (1, "days")),
    ],
)
def test_an_interval_is_stored_in_its_longest_whole_period(seconds, expected):
    interval = Interval.of(timedelta(seconds=seconds))
    assert (interval.every, interval.period) == expected


def test_intervals_an_operator_made_twice_in_admin_do_not_stop_the_command(empty):
    """django-celery-beat does not keep intervals unique: the oldest matching one is used."""
    first = IntervalSchedule.objects.create(every=1, period="minutes")
    IntervalSchedule.objects.create(every=1, period="minutes")

    setup()

    assert PeriodicTask.objects.get(name=REQUEUE).interval == first
