"""The audit trail's one write: every service that acts records who changed what, and why."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from audit.models import AuditLog

Actor = AuditLog.Actor


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
