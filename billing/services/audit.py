"""The audit trail: every billing service records who changed what, and why."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from billing.models import AuditLog

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
) -> AuditLog:
    return AuditLog.objects.create(
        action=action,
        actor_type=actor_type,
        actor_user=actor_user,
        reader=reader,
        reason=reason,
        before=before,
        after=after,
        stripe_object_id=stripe_object_id,
    )
