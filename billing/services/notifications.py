"""Billing emails to readers: plain text and HTML, each kind at most once per Stripe object."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from accounts.models import User
from billing.models import Customer, Notification, StripeEvent
from billing.money import money_display

logger = logging.getLogger(__name__)

SUBJECTS = {
    "trial_will_end": "Your free trial ends soon",
    "receipt": "Your payment receipt",
    "payment_failed": "We could not take your payment",
    "payment_action_required": "Please confirm your payment",
    "pause_started": "Your subscription is paused",
    "pause_ending": "Your pause ends soon",
}
# Mails to customer-support staff (the support roles), about a reader.
SUPPORT_SUBJECTS = {
    "support_duplicate_subscription": "Duplicate subscription cancelled and refunded",
}


def format_amount(amount: int | None, currency: str, *, country: str | None = None) -> str:
    """An amount as the reader reads it, in their country's locale: 999 EUR for a reader
    in DE is "9,99 €", 899 GBP in GB "£8.99" (billing.money.money_display)."""
    if amount is None or not currency:
        return ""
    return money_display(int(amount), currency, country=country)


def reader_country(user: User | None) -> str | None:
    """The reader's country as we know it (their Stripe customer's address), or None."""
    if user is None:
        return None
    country = Customer.objects.filter(user=user).values_list("country", flat=True).first()
    return country or None


def _claim_and_send(
    *,
    kind: str,
    key: str,
    user: User | None,
    stripe_event: StripeEvent | None = None,
    message: Callable[[], EmailMultiAlternatives | None],
) -> bool:
    """Claim the Notification row (unique kind and key) and send inside the same transaction.

    A failed send rolls the claim back so a retry sends it; a claim that
    exists already means it was sent: False, nothing sent.
    """
    try:
        with transaction.atomic():
            Notification.objects.create(kind=kind, key=key, user=user, stripe_event=stripe_event)
            email = message()
            if email is not None:
                email.send()
    except IntegrityError:
        logger.info("notification %s for %s already sent", kind, key)
        return False
    return True


def notification_send_once(
    *,
    kind: str,
    key: str,
    user: User | None,
    context: dict[str, Any],
    stripe_event: StripeEvent | None = None,
    subject: str = "",
    template: str = "",
) -> bool:
    """Send the email unless this kind was already sent for this key; True if sent now.

    A higher app's own kind (offers) names its `subject` and `template` (a template
    path without .txt / .html); billing's kinds take theirs from SUBJECTS and
    billing/email/<kind>.
    """
    template = template or f"billing/email/{kind}"
    if user is None or not user.is_active or not user.email:
        return False
    reader = user

    def message() -> EmailMultiAlternatives:
        full = {**context, "manage_url": settings.BILLING_MANAGE_URL}
        email = EmailMultiAlternatives(
            subject=subject or SUBJECTS[kind],
            body=render_to_string(f"{template}.txt", full),
            to=[reader.email],
        )
        email.attach_alternative(render_to_string(f"{template}.html", full), "text/html")
        return email

    return _claim_and_send(
        kind=kind, key=key, user=user, stripe_event=stripe_event, message=message
    )


# The support roles' group names: the support app registers them at start-up
# (support/apps.py), so that billing, below it, names no role of its own.
support_role_names: set[str] = set()


def support_recipients() -> list[str]:
    """Active staff in the support roles, and the ADMINS, who have an email address."""
    staff = (
        User.objects.filter(
            is_active=True, is_staff=True, groups__name__in=sorted(support_role_names)
        )
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    admins = [email for _, email in getattr(settings, "ADMINS", [])]
    return sorted({*staff, *admins})


def notification_send_support_once(
    *, kind: str, key: str, reader: User | None, context: dict[str, Any]
) -> bool:
    """Tell support staff about a reader, once per kind and key; True if done now.

    Claimed like a reader's mail (one Notification row, the mail sent in the
    same transaction). Logged as an error too, so that it reaches whoever
    watches the logs even when nobody holds a support role.
    """
    recipients = support_recipients()

    def message() -> EmailMultiAlternatives | None:
        logger.error("support told (%s) about %s: %s", kind, key, context)
        if not recipients:
            return None
        return EmailMultiAlternatives(
            subject=f"{SUPPORT_SUBJECTS[kind]}: {reader.email if reader else key}",
            body=render_to_string(f"billing/email/{kind}.txt", {**context, "reader": reader}),
            to=recipients,
        )

    return _claim_and_send(kind=kind, key=key, user=reader, message=message)
