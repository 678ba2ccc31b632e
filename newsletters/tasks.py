"""Thin Celery tasks: the confirmation email, sent outside the sign-up request."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_confirmation_email(*, email: str, token: str) -> bool:
    from newsletters.services import confirmation_email_send

    return confirmation_email_send(email=email, token=token)
