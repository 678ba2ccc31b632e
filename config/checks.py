"""Configuration checks of config's own settings (Django's system checks, ids config.E0xx).

The Celery task limits: every bound that tells a live worker from a dead one
is derived from the task hard time limit (config/task_limits.py); these name
a relation that a settings override broke, and the periodic jobs' tasks.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def task_limits_hold(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The relations the recovery of a killed worker's work rests on."""
    limits = settings.TASK_LIMITS
    hard = int(settings.CELERY_TASK_TIME_LIMIT)
    soft = int(settings.CELERY_TASK_SOFT_TIME_LIMIT)
    visibility = int(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600))
    stuck = int(settings.STRIPE_EVENT_STUCK_SECONDS)
    backoff = int(settings.CELERY_TASK_RETRY_BACKOFF_MAX)
    derive = (
        "Set only CELERY_TASK_TIME_LIMIT and let config/settings.py derive the rest "
        "(config/task_limits.py)."
    )
    errors: list[CheckMessage] = []
    if limits.time_limit != hard:
        errors.append(
            Error(
                f"TASK_LIMITS was derived from a time limit of {limits.time_limit} s, but "
                f"CELERY_TASK_TIME_LIMIT is {hard} s: every bound derived from it is wrong.",
                hint="Derive TASK_LIMITS again after changing CELERY_TASK_TIME_LIMIT: " + derive,
                id="config.E001",
            )
        )
    if not 0 < soft < hard:
        errors.append(
            Error(
                f"CELERY_TASK_SOFT_TIME_LIMIT ({soft} s) is not below CELERY_TASK_TIME_LIMIT "
                f"({hard} s): a task is killed before it can record its own failure.",
                hint=derive,
                id="config.E002",
            )
        )
    if visibility < 2 * hard + backoff:
        errors.append(
            Error(
                f"The broker's visibility timeout ({visibility} s) is below twice the task time "
                f"limit plus the retry back-off cap ({2 * hard + backoff} s): Redis would deliver "
                "a message again while a live worker still holds it, and the task would run twice.",
                hint=derive,
                id="config.E003",
            )
        )
    if stuck <= hard:
        errors.append(
            Error(
                f"STRIPE_EVENT_STUCK_SECONDS ({stuck} s) is not above CELERY_TASK_TIME_LIMIT "
                f"({hard} s): the requeue job would take an event from a worker still "
                "processing it.",
                hint=derive,
                id="config.E004",
            )
        )
    return errors


@register()
def periodic_jobs_name_registered_tasks(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """Every job in config/schedule.py runs a task some app registers."""
    from config.schedule import unregistered_tasks

    return [
        Error(
            f"The periodic job task {task!r} is not a registered Celery task: beat would send "
            "it and every worker would refuse it.",
            hint="Correct the job's task in config/schedule.py (the task's module and function "
            "name, e.g. billing.tasks.requeue_stripe_events), then run "
            "`manage.py setup_periodic_tasks`.",
            id="config.E005",
        )
        for task in unregistered_tasks()
    ]
