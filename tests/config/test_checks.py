"""config's own checks: the relations between the task limits (config/task_limits.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from config.task_limits import TaskLimits


def ids() -> list[str]:
    return [m.id for m in run_checks() if m.id.startswith("config.")]


def derived(time_limit: int) -> dict:
    """Every setting config/settings.py derives from a task time limit."""
    limits = TaskLimits(time_limit=time_limit)
    return {
        "TASK_LIMITS": limits,
        "CELERY_TASK_TIME_LIMIT": time_limit,
        "CELERY_TASK_SOFT_TIME_LIMIT": limits.soft_time_limit,
        "CELERY_TASK_RETRY_BACKOFF_MAX": limits.retry_backoff_max,
        "CELERY_BROKER_TRANSPORT_OPTIONS": {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "visibility_timeout": limits.visibility_timeout,
        },
        "STRIPE_EVENT_STUCK_SECONDS": limits.stuck_after,
    }


@pytest.mark.parametrize("time_limit", [2, 3, 60, 120, 3600])
def test_limits_derived_from_one_time_limit_pass(time_limit):
    with override_settings(**derived(time_limit)):
        assert ids() == []


def test_a_time_limit_changed_without_deriving_again_is_an_error():
    with override_settings(**{**derived(120), "CELERY_TASK_TIME_LIMIT": 600}):
        found = [m for m in run_checks() if m.id == "config.E001"]

    assert len(found) == 1
    assert "CELERY_TASK_TIME_LIMIT" in found[0].msg
    assert "config/task_limits.py" in found[0].hint


@pytest.mark.parametrize("soft", [120, 200, 0])
def test_a_soft_limit_not_below_the_hard_one_is_an_error(soft):
    with override_settings(**{**derived(120), "CELERY_TASK_SOFT_TIME_LIMIT": soft}):
        assert ids() == ["config.E002"]


def test_a_visibility_timeout_a_live_worker_could_outlast_is_an_error():
    settings_ = derived(120)
    settings_["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] = 2 * 120 + 60 - 1
    with override_settings(**settings_):
        found = [m for m in run_checks() if m.id.startswith("config.")]

    assert [m.id for m in found] == ["config.E003"]
    assert "run twice" in found[0].msg


def test_a_stuck_age_within_the_time_limit_is_an_error():
    with override_settings(**{**derived(120), "STRIPE_EVENT_STUCK_SECONDS": 120}):
        assert ids() == ["config.E004"]
