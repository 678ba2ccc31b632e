"""Billing emails to readers: plain text and HTML, each kind at most once per Stripe object."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from accounts.models import User
from billing.models import Notification, StripeEvent

logger = logging.getLogger(__name__)

SUBJECTS = {
    "trial_will_end": "Your free trial ends soon",
    "receipt": "Your payment receipt",
    "payment_failed": "We could not take your payment",
    "payment_action_required": "Please confirm your payment",
}
# Stripe's zero-decimal currencies: their amounts are already whole units.
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf",
                "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}  # fmt: skip


def format_amount(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    if currency.lower() in ZERO_DECIMAL:
        return str(amount)
    return f"{Decimal(amount) / 100:.2f}"


def notification_send_once(
    *,
    kind: str,
    key: str,
    user: User | None,
    context: dict[str, Any],
    stripe_event: StripeEvent | None = None,
) -> bool:
    """Send the email unless this kind was already sent for this key; True if sent now.

    The Notification row is claimed first (unique kind and key) and the mail
    sent inside the same transaction: a failed send rolls the claim back so a
    retry sends it, and a duplicate event never sends twice.
    """
    if user is None or not user.is_active or not user.email:
        return False
    try:
        with transaction.atomic():
            Notification.objects.create(kind=kind, key=key, user=user, stripe_event=stripe_event)
            context = {**context, "manage_url": settings.BILLING_MANAGE_URL}
            message = EmailMultiAlternatives(
                subject=SUBJECTS[kind],
                body=render_to_string(f"billing/email/{kind}.txt", context),
                to=[user.email],
            )
            message.attach_alternative(
                render_to_string(f"billing/email/{kind}.html", context), "text/html"
            )
            message.send()
    except IntegrityError:
        logger.info("notification %s for %s already sent", kind, key)
        return False
    return True
