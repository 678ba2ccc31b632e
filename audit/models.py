"""The audit trail: who changed what for which reader, and why.

Every app that changes a reader's state writes here (audit.services.audit_record);
the table kept its name (billing_auditlog) when the model moved out of billing,
so the entries written before the move are the same rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AuditLog(models.Model):
    """Who changed what for which reader, and why. Written by every service that acts."""

    class Actor(models.TextChoices):
        STAFF = "staff", "Staff"
        READER = "reader", "Reader"
        STRIPE = "stripe", "Stripe"
        SYSTEM = "system", "System"

    actor_type = models.CharField(max_length=16, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_actions",
    )
    action = models.CharField(max_length=64, db_index=True)
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    reason = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    stripe_object_id = models.CharField(max_length=255, blank=True, db_index=True)
    idempotency_key = models.CharField(
        max_length=255,
        blank=True,
        help_text="The Stripe attempt this entry records: requests sharing it share the entry.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "billing_auditlog"  # where billing created it: the rows stayed put
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["reader", "-created_at"], name="billing_audit_reader")]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="billing_audit_one_entry_per_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_type} {self.action}"
