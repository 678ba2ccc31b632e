"""Thin Celery tasks for entitlements housekeeping."""

from celery import shared_task

from entitlements.meter_drain import meter_drain
from entitlements.services import meters_purge


@shared_task
def purge_old_meters() -> int:
    return meters_purge(keep_months=2)


@shared_task
def drain_metered_reads() -> int:
    """Anonymous reads counted in Redis into PostgreSQL (every METER_DRAIN_SECONDS)."""
    return meter_drain()
