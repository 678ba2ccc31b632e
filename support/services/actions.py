"""What customer-support staff can do to a reader's billing, each step audited.

Every action names its staff member and a reason, goes through Stripe first
(Stripe refuses: nothing changes here, and Stripe's message is raised), then
applies Stripe's answer. Permission checks happen here, on the server, so
that no caller (admin action, command, future API) can skip them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import User
from audit.services import Actor, audit_reason_checked, audit_record
from billing import gateway
from billing.models import SUPPORT_MAX_DAYS, Customer, Subscription, SubscriptionStatus
from billing.selectors import payment_intent_in, subscription_get_live
from billing.services import (
    Audit,
    subscription_cancel,
    subscription_pause_end,
    subscription_resume,
    subscription_sync_from_stripe,
    subscription_write,
)
from billing.services.apply import subscription_snapshot
from billing.services.attempts import attempt_begin, attempt_run
from config.errors import ApplicationError, Conflict
from entitlements.models import Grant
from entitlements.services import grant_create, grant_revoke


def _require(staff: User, permission: str) -> None:
    if not (staff.is_active and staff.is_staff and staff.has_perm(permission)):
        raise PermissionDenied(f"{staff} may not do this ({permission}).")


def support_cancel(*, staff: User, reader: User, at_period_end: bool, reason: str) -> Subscription:
    _require(staff, "billing.cancel_subscription")
    return subscription_cancel(
        user=reader,
        at_period_end=at_period_end,
        audit=Audit(Actor.STAFF, user=staff, reason=audit_reason_checked(reason=reason)),
    )


def support_resume(*, staff: User, reader: User, reason: str) -> Subscription:
    _require(staff, "billing.resume_subscription")
    return subscription_resume(
        user=reader,
        audit=Audit(Actor.STAFF, user=staff, reason=audit_reason_checked(reason=reason)),
    )


def support_end_pause(*, staff: User, reader: User, reason: str) -> Subscription:
    """End the reader's pause of collection now, in Stripe then here (billing's pause)."""
    _require(staff, "billing.end_pause")
    return subscription_pause_end(
        user=reader,
        audit=Audit(Actor.STAFF, user=staff, reason=audit_reason_checked(reason=reason)),
    )


def support_extend_trial(*, staff: User, reader: User, days: int, reason: str) -> Subscription:
    """Move a running trial's end N days later, in Stripe (trial_end), then here."""
    _require(staff, "billing.extend_trial")
    if days < 1:
        raise ApplicationError("Extend by at least one day.", code="invalid_days")
    if days > SUPPORT_MAX_DAYS:
        _require(staff, "billing.extend_trial_long")
    reason = audit_reason_checked(reason=reason)
    subscription = subscription_get_live(user=reader)
    if (
        subscription is None
        or subscription.status != SubscriptionStatus.TRIALING
        or subscription.trial_end is None
    ):
        raise Conflict("This reader has no running trial.", code="no_trial")
    new_end = subscription.trial_end + timedelta(days=days)
    params: dict[str, Any] = {
        "trial_end": int(new_end.timestamp()),
        "proration_behavior": "none",
    }
    return subscription_write(
        user=reader,
        subscription=subscription,
        operation="subscription.extend_trial",
        params=params,
        call=lambda key: gateway.subscription_update(
            subscription_id=subscription.stripe_subscription_id,
            params=params,
            idempotency_key=key,
        ),
        action="subscription.trial_extended",
        audit=Audit(Actor.STAFF, user=staff, reason=f"+{days} days: {reason}"),
    )


def support_resync(*, staff: User, reader: User, reason: str = "") -> list[Subscription]:
    """Read every subscription of the reader from Stripe again and apply it.

    One audit entry for the whole resync: each subscription as our rows had it
    before (None: not known here) and after.
    """
    _require(staff, "billing.resync_subscription")
    customer = Customer.objects.filter(user=reader).first()
    remotes = (
        gateway.subscription_list_for_customer(customer_id=customer.stripe_customer_id)
        if customer is not None
        else []
    )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    synced = []
    for remote in remotes:
        local = (
            Subscription.objects.select_related("plan")
            .filter(stripe_subscription_id=remote["id"])
            .first()
        )
        before[remote["id"]] = None if local is None else subscription_snapshot(local)
        subscription = subscription_sync_from_stripe(
            stripe_subscription_id=remote["id"],
            audit=None,  # one entry for the whole resync, below
            action="billing.resynced",
        )
        after[remote["id"]] = subscription_snapshot(subscription)
        synced.append(subscription)
    audit_record(
        action="billing.resynced",
        actor_type=Actor.STAFF,
        actor_user=staff,
        reader=reader,
        reason=reason,
        before={"subscriptions": before},
        after={"subscriptions": after},
    )
    return synced


def support_refund_last_payment(*, staff: User, reader: User, reason: str) -> dict[str, Any]:
    """Refund the reader's most recent paid invoice in full; returns Stripe's refund."""
    _require(staff, "billing.refund_payment")
    reason = audit_reason_checked(reason=reason)
    customer = Customer.objects.filter(user=reader).first()
    if customer is None:
        raise Conflict("This reader has never paid.", code="nothing_to_refund")
    for invoice in gateway.invoice_list_paid(customer_id=customer.stripe_customer_id):
        if not invoice.get("amount_paid"):
            continue
        found = payment_intent_in(invoice)
        intent = found.get("id") if isinstance(found, dict) else found
        if not intent:
            continue
        attempt = attempt_begin(
            operation="refund.create", user=reader, params={"invoice": invoice["id"]}
        )

        def refund_call(key: str, intent: Any = intent, invoice: dict[str, Any] = invoice) -> Any:
            return gateway.refund_create(
                payment_intent_id=intent,
                reason="requested_by_customer",
                metadata={"invoice": invoice["id"], "staff": str(staff.pk)},
                idempotency_key=key,
            )

        refund: dict[str, Any] = attempt_run(attempt=attempt, call=refund_call)
        audit_record(
            action="payment.refunded",
            actor_type=Actor.STAFF,
            actor_user=staff,
            reader=reader,
            reason=reason,
            after={
                "invoice": invoice["id"],
                "amount": refund.get("amount"),
                "currency": refund.get("currency"),
                "refund": refund.get("id"),
            },
            stripe_object_id=refund.get("id", ""),
            idempotency_key=attempt.idempotency_key,  # a double click: one refund, one entry
        )
        return refund
    raise Conflict("This reader has no paid invoice to refund.", code="nothing_to_refund")


def support_grant(*, staff: User, reader: User, days: int, reason: str) -> Any:
    """Complimentary unlimited access from now for N days (entitlements' Grant), audited."""
    _require(staff, "billing.grant_access")
    if days < 1:
        raise ApplicationError("Grant at least one day.", code="invalid_days")
    if days > SUPPORT_MAX_DAYS:
        _require(staff, "billing.grant_access_long")
    now = timezone.now()
    return grant_create(
        reader=reader,
        starts_at=now,
        ends_at=now + timedelta(days=days),
        reason=audit_reason_checked(reason=reason),
        granted_by=staff,
    )


def support_revoke_grants(*, staff: User, reader: User, reason: str) -> int:
    """End every complimentary grant of the reader that is running or to come."""
    _require(staff, "billing.revoke_grant")
    reason = audit_reason_checked(reason=reason)
    grants = list(
        Grant.objects.filter(reader=reader, revoked_at__isnull=True, ends_at__gt=timezone.now())
    )
    if not grants:
        raise Conflict("This reader has no grant to revoke.", code="no_grant")
    for grant in grants:
        grant_revoke(grant=grant, revoked_by=staff, reason=reason)
    return len(grants)
