"""A reader leaves: every app forgets them, in the order that loses nothing."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_erase_personal_data
from audit.services import Actor, audit_record
from billing import gateway
from billing.models import Customer
from billing.selectors import subscription_get_live
from billing.services import Audit, subscription_cancel_now
from entitlements.services import meter_erase_for_user
from newsletters.services import subscriber_erase_for_user

logger = logging.getLogger(__name__)


def user_delete_account(*, user: User) -> None:
    """The reader leaves (docs/api.md, DELETE /api/auth/user/).

    Any live subscription ends now, the Stripe customer is deleted, and the
    personal data here is erased: the account row stays, anonymised, so the
    billing and audit records that point at it stay meaningful. Stripe is
    done first: if it fails, nothing local is erased and the reader can retry.
    """
    live = subscription_get_live(user=user)
    if live is not None:
        subscription_cancel_now(
            user=user,
            subscription=live,
            audit=Audit(Actor.READER, user=user, reason="account deleted"),
        )
    customer = Customer.objects.filter(user=user, deleted_at__isnull=True).first()
    if customer is not None:
        try:
            gateway.customer_delete(customer_id=customer.stripe_customer_id)
        except gateway.StripeNotFound:
            logger.info("stripe customer %s already gone", customer.stripe_customer_id)
    with transaction.atomic():
        if customer is not None:
            customer.deleted_at = timezone.now()
            customer.default_payment_method_id = ""
            customer.save(update_fields=["deleted_at", "default_payment_method_id"])
        meter_erase_for_user(user=user)  # which articles they read is personal too
        subscriber_erase_for_user(user=user)  # off every newsletter list, before the email goes
        user_erase_personal_data(user=user)
        audit_record(
            action="account.deleted",
            actor_type=Actor.READER,
            actor_user=user,
            reader=user,
            stripe_object_id=customer.stripe_customer_id if customer else "",
        )
