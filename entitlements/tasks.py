"""Thin Celery tasks for entitlements housekeeping."""

from celery import shared_task

from entitlements.services import meters_purge


@shared_task
def purge_old_meters() -> int:
    return meters_purge(keep_months=2)
