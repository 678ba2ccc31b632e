"""Every periodic job, declared once: `manage.py setup_periodic_tasks` makes them rows.

django-celery-beat's database scheduler runs what its PeriodicTask rows say,
and operators edit those rows in admin. This list is what a fresh install
gets and what the command brings every install back to (docs/operations.md,
"Seed data"): a job's task and description come from here; its schedule and
whether it is enabled are the operator's once the row exists, unless the row
is still on a schedule this list used to declare (`earlier`), or the command
runs with --reset.

Tasks are named, not imported: config sits below every app.
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings

from config.task_limits import REQUEUE_INTERVAL_SECONDS

if TYPE_CHECKING:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

#: django-celery-beat's interval periods, longest first.
PERIODS = (("days", 86400), ("hours", 3600), ("minutes", 60), ("seconds", 1))


@dataclass(frozen=True)
class Interval:
    """An interval as django-celery-beat stores it: every N of one period."""

    every: int
    period: str

    @classmethod
    def of(cls, duration: timedelta) -> Interval:
        """The interval in the longest period that divides it (60 s is every 1 minute)."""
        seconds = int(duration.total_seconds())
        if seconds < 1 or seconds != duration.total_seconds():
            raise ValueError(f"an interval is a whole number of seconds, not {duration}")
        for period, length in PERIODS:
            if seconds % length == 0:
                return cls(every=seconds // length, period=period)
        raise AssertionError("unreachable: every whole number of seconds divides by 1")

    def __str__(self) -> str:
        return f"every {self.every} {self.period}"


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # the row's name in admin: unique, and how the command finds the row
    task: str  # a registered Celery task name
    every: Interval
    description: str
    # Intervals this list declared before: a row still on one follows the new one.
    earlier: tuple[Interval, ...] = ()


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        name="billing: reconcile subscriptions with Stripe",
        task="billing.tasks.reconcile_subscriptions",
        every=Interval(every=60, period="minutes"),
        description="Brings every local subscription in line with Stripe's (and finds "
        "duplicates): the safety net under webhooks.",
    ),
    PeriodicJob(
        name="billing: requeue unprocessed Stripe events",
        task="billing.tasks.requeue_stripe_events",
        # Part of the bound on recovering a killed worker's events (config/task_limits.py).
        every=Interval.of(timedelta(seconds=REQUEUE_INTERVAL_SECONDS)),
        earlier=(Interval(every=5, period="minutes"),),
        description="Queues again the Stripe events whose processing never started or "
        "whose worker died (a claim older than STRIPE_EVENT_STUCK_SECONDS).",
    ),
    PeriodicJob(
        name="billing: remind readers that their pause ends",
        task="billing.tasks.send_pause_reminders",
        every=Interval(every=1, period="hours"),
        description="Mails each reader whose pause ends within three days, once per pause.",
    ),
    PeriodicJob(
        name="entitlements: purge meters of past months",
        task="entitlements.tasks.purge_old_meters",
        # Hourly: each run deletes at most RETENTION_ROWS_PER_RUN meters.
        every=Interval(every=1, period="hours"),
        earlier=(Interval(every=1, period="days"),),
        description="Deletes the free-article meters older than last month (a bounded "
        "batch a run).",
    ),
    PeriodicJob(
        name="entitlements: drain metered reads into PostgreSQL",
        task="entitlements.tasks.drain_metered_reads",
        # METER_DRAIN_SECONDS: what a Redis lost without AOF would take with it.
        every=Interval.of(timedelta(seconds=settings.METER_DRAIN_SECONDS)),
        description="Writes the anonymous reads counted in Redis (METER_STORE=redis) into "
        "their meters in PostgreSQL, a batch per INSERT; nothing to do with "
        "METER_STORE=database.",
    ),
    PeriodicJob(
        name="billing: prune old Stripe events and attempts",
        task="billing.tasks.prune_stripe_records",
        every=Interval(every=1, period="hours"),
        description="Deletes processed Stripe events and finished Stripe attempts older "
        "than STRIPE_EVENT_RETENTION_DAYS and STRIPE_ATTEMPT_RETENTION_DAYS (a bounded batch "
        "a run; audit entries stay).",
    ),
)


@dataclass
class SetupReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Rows whose schedule (or enabled flag) an operator changed in admin, left as they are.
    kept: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def unregistered_tasks(*, jobs: tuple[PeriodicJob, ...] | None = None) -> list[str]:
    """The task names that no app registers with the Celery app (each a job beat could not run)."""
    from config.celery import app

    jobs = PERIODIC_JOBS if jobs is None else jobs
    missing = []
    for job in jobs:
        # Import the task's module as a worker's autodiscovery would (not through
        # Celery's import_modules signal: its Django fixup runs the system checks).
        with contextlib.suppress(ImportError):
            importlib.import_module(job.task.rpartition(".")[0])
        if job.task not in app.tasks:
            missing.append(job.task)
    return missing


def periodic_tasks_setup(
    *, jobs: tuple[PeriodicJob, ...] | None = None, reset: bool = False
) -> SetupReport:
    """Make each job a django-celery-beat row, or bring its row in line (idempotent).

    A job's row is the one with its name, else (renamed in admin) the oldest
    row running its task, so that a job never gets a second row. The task and
    description are always the declared ones. The schedule and the enabled
    flag are the operator's once the row exists, unless the row is still on
    one of the job's `earlier` intervals (then it follows the declared one),
    or `reset` is set (then name, schedule and enabled are the declared ones).
    """
    from django_celery_beat.models import PeriodicTask

    report = SetupReport()
    for job in PERIODIC_JOBS if jobs is None else jobs:
        row = (
            PeriodicTask.objects.filter(name=job.name).first()
            or PeriodicTask.objects.filter(task=job.task).order_by("pk").first()
        )
        if row is None:
            PeriodicTask.objects.create(
                name=job.name,
                task=job.task,
                interval=_interval_row(job.every),
                enabled=True,
                description=job.description,
            )
            report.created.append(job.name)
            continue

        current = Interval(row.interval.every, row.interval.period) if row.interval else None
        others = (row.crontab_id, row.solar_id, row.clocked_id)
        changes: dict[str, object] = {}
        if row.task != job.task:
            changes["task"] = job.task
        if row.description != job.description:
            changes["description"] = job.description
        follows = current in job.earlier and not any(others)
        if (reset or follows) and (current != job.every or any(others)):
            changes["interval"] = _interval_row(job.every)
            changes.update(crontab=None, solar=None, clocked=None)
        if reset:
            if row.name != job.name:
                changes["name"] = job.name
            if not row.enabled:
                changes["enabled"] = True
        elif not follows and (current != job.every or any(others) or not row.enabled):
            report.kept.append(f"{row.name} ({_describe(row)}; declared: {job.every})")

        if changes:
            for name, value in changes.items():
                setattr(row, name, value)
            row.save()  # the model's save() tells a running beat to reload its schedule
            report.updated.append(job.name)
        else:
            report.unchanged.append(job.name)
    return report


def _interval_row(interval: Interval) -> IntervalSchedule:
    """The row for an interval (django-celery-beat does not keep them unique: take the oldest)."""
    from django_celery_beat.models import IntervalSchedule

    found = IntervalSchedule.objects.filter(every=interval.every, period=interval.period)
    return found.order_by("pk").first() or IntervalSchedule.objects.create(
        every=interval.every, period=interval.period
    )


def _describe(row: PeriodicTask) -> str:
    if row.interval is not None:
        schedule = str(Interval(row.interval.every, row.interval.period))
    else:
        schedule = str(row.crontab or row.solar or row.clocked)
    return schedule if row.enabled else f"{schedule}, disabled"
