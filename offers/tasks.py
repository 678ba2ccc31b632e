"""Thin Celery tasks of offers: take ids, call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def send_offer_applied(redemption_id: int) -> bool:
    from offers.services import offer_applied_notify

    return offer_applied_notify(redemption_id=redemption_id)
