"""The audit trail's one write: every service that acts records who changed what, and why."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from audit.models import AuditLog
from config.errors import ApplicationError

Actor = AuditLog.Actor

# A person who acts on a reader says why (staff actions, grants, reprocessing):
# the one rule, for services (audit_reason_checked) and forms alike.
REASON_REQUIRED = "Say why: a reason is required."


def audit_reason_checked(*, reason: str) -> str:
    """The reason an action gives, stripped; refused (reason_required) when it is blank."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(
            REASON_REQUIRED, code="reason_required", fields={"reason": ["This field is required."]}
        )
    return reason


def audit_record(
    *,
    action: str,
    actor_type: str,
    reader: User | None = None,
    actor_user: User | None = None,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    stripe_object_id: str = "",
    idempotency_key: str = "",
) -> AuditLog:
    """Write one entry. With the idempotency key of the Stripe attempt the action made,
    requests that shared the attempt (a double click, a retry) share one entry."""
    values = {
        "action": action,
        "actor_type": actor_type,
        "actor_user": actor_user,
        "reader": reader,
        "reason": reason,
        "before": before,
        "after": after,
        "stripe_object_id": stripe_object_id,
    }
    if not idempotency_key:
        return AuditLog.objects.create(**values)
    try:
        with transaction.atomic():
            return AuditLog.objects.create(idempotency_key=idempotency_key, **values)
    except IntegrityError:
        return AuditLog.objects.get(idempotency_key=idempotency_key)
