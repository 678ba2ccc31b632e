"""Account writes that cross apps: a reader leaving."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from billing import gateway
from billing.models import LIVE_STATUSES, Customer, Subscription
from billing.services import Actor, audit_record, subscription_cancel_now

logger = logging.getLogger(__name__)


def user_delete_account(*, user: User) -> None:
    """The reader leaves (docs/api.md, DELETE /api/auth/user/).

    Any live subscription ends now, the Stripe customer is deleted, and the
    personal data here is erased: the account row stays, anonymised, so the
    billing and audit records that point at it stay meaningful. Stripe is
    done first: if it fails, nothing local is erased and the reader can retry.
    """
    live = Subscription.objects.filter(user=user, status__in=LIVE_STATUSES).first()
    if live is not None:
        subscription_cancel_now(
            user=user,
            subscription=live,
            actor_type=Actor.READER,
            actor_user=user,
            reason="account deleted",
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
        _erase_personal_data(user)
        audit_record(
            action="account.deleted",
            actor_type=Actor.READER,
            actor_user=user,
            reader=user,
            stripe_object_id=customer.stripe_customer_id if customer else "",
        )


def _erase_personal_data(user: User) -> None:
    from allauth.account.models import EmailAddress
    from rest_framework.authtoken.models import Token

    from entitlements.services import meter_erase_for_user

    Token.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    meter_erase_for_user(user=user)  # which articles they read is personal too
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
