"""How long a task may run, and every bound derived from it.

One number, the task hard time limit T (CELERY_TASK_TIME_LIMIT), bounds how
long a live worker can hold a task: the prefork pool kills a task at T. So
whatever must tell a live worker from a dead one is derived from T, never
configured beside it: the broker's visibility timeout, the age at which a
Stripe event's processing claim is stale, and from those the bound on the
recovery of a killed worker's work (docs/operations.md, "A killed worker").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: How often beat runs the requeue of unprocessed Stripe events (the
#: "billing: requeue unprocessed Stripe events" schedule, every minute).
REQUEUE_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class TaskLimits:
    """Every bound derived from the task hard time limit, in seconds."""

    time_limit: int
    requeue_interval: int = REQUEUE_INTERVAL_SECONDS

    def __post_init__(self) -> None:
        if self.time_limit < 2:
            raise ValueError("the task time limit must be at least 2 seconds")
        if self.requeue_interval < 1:
            raise ValueError("the requeue interval must be at least 1 second")

    @property
    def soft_time_limit(self) -> int:
        """The task is told first (SoftTimeLimitExceeded), to record a failure itself."""
        return self.time_limit - max(1, self.time_limit // 5)

    @property
    def retry_backoff_max(self) -> int:
        """The longest countdown of a task's retry (a message a worker holds until then)."""
        return max(1, self.time_limit // 2)

    @property
    def visibility_timeout(self) -> int:
        """Redis redelivers a message unacknowledged for longer than this.

        A live worker holds a message at most for a retry's countdown, then
        a wait for a free pool process (whose task ends within T), then the
        run itself (within T). Past that, the worker that took it is dead.
        """
        return 2 * self.time_limit + self.retry_backoff_max

    @property
    def restore_interval(self) -> int:
        """How often each worker looks for messages past the visibility timeout."""
        return min(10, max(1, self.visibility_timeout // 10))

    @property
    def stuck_after(self) -> int:
        """A Stripe event's processing claim older than this belongs to a dead worker.

        The claim is taken once the task runs, and the task is killed at T:
        a quarter of T more covers the pool's kill landing and clocks that
        differ a little between hosts.
        """
        return self.time_limit + max(1, self.time_limit // 4)

    @property
    def recovery_by_requeue(self) -> int:
        """A stale claim is found by the next run of the requeue job."""
        return self.stuck_after + self.requeue_interval

    @property
    def recovery_by_broker(self) -> int:
        """The killed worker's message is redelivered by the next sweep past the timeout."""
        return self.visibility_timeout + self.restore_interval

    @property
    def recovery_bound(self) -> int:
        """An event held by a killed worker is taken up again within this many seconds."""
        return max(self.recovery_by_requeue, self.recovery_by_broker)

    @property
    def recovery_bound_minutes(self) -> int:
        return math.ceil(self.recovery_bound / 60)
