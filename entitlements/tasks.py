"""Thin Celery tasks for entitlements housekeeping."""

from celery import shared_task

from entitlements.meter_drain import meter_drain
from entitlements.services import meters_purge


@shared_task
def purge_old_meters() -> int:
    return meters_purge(keep_months=2)


# A drain queued longer than this is not worth running: beat has queued newer ones
# (after a worker outage they would otherwise run one after another, for nothing).
@shared_task(expires=30)
def drain_metered_reads() -> int:
    """Anonymous reads counted in Redis into PostgreSQL (every METER_DRAIN_SECONDS)."""
    return meter_drain()
