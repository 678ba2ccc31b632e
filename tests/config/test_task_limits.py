"""The bounds on a dead worker, all derived from the task hard time limit."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.task_limits import REQUEUE_INTERVAL_SECONDS, TaskLimits


@given(st.integers(min_value=2, max_value=24 * 3600))
def test_a_live_worker_is_never_taken_for_a_dead_one(time_limit):
    limits = TaskLimits(time_limit=time_limit)

    assert 0 < limits.soft_time_limit < limits.time_limit
    # a message a live worker holds (a retry's countdown, a wait for a pool
    # process, the run) is acknowledged before Redis would deliver it again
    assert limits.retry_backoff_max + 2 * limits.time_limit <= limits.visibility_timeout
    # a live worker's claim on an event is never older than the time limit
    assert limits.stuck_after > limits.time_limit
    assert 1 <= limits.restore_interval <= 10


@given(st.integers(min_value=2, max_value=24 * 3600))
def test_the_recovery_bound_covers_both_ways_back(time_limit):
    limits = TaskLimits(time_limit=time_limit)

    assert limits.recovery_bound >= limits.stuck_after + REQUEUE_INTERVAL_SECONDS
    assert limits.recovery_bound >= limits.visibility_timeout + limits.restore_interval
    assert limits.recovery_bound_minutes * 60 >= limits.recovery_bound


def test_the_default_time_limit_recovers_a_killed_worker_within_six_minutes():
    limits = TaskLimits(time_limit=120)

    assert (limits.soft_time_limit, limits.retry_backoff_max) == (96, 60)
    assert (limits.visibility_timeout, limits.stuck_after) == (300, 150)
    assert limits.recovery_by_requeue == 210
    assert limits.recovery_by_broker == 310
    assert limits.recovery_bound_minutes == 6


@pytest.mark.parametrize("time_limit", [-1, 0, 1])
def test_a_time_limit_below_two_seconds_is_refused(time_limit):
    with pytest.raises(ValueError, match="at least 2 seconds"):
        TaskLimits(time_limit=time_limit)
