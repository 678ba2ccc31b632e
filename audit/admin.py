"""The audit log in admin: read-only, searchable by reader, staff member and Stripe id."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_type", "actor_user", "action", "reader", "reason")
    list_filter = (
        "actor_type",
        "action",
        ("actor_user", admin.RelatedOnlyFieldListFilter),
        ("reader", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("reader__email", "actor_user__email", "stripe_object_id", "action")
    list_select_related = ("reader", "actor_user")
    date_hierarchy = "created_at"

    # An audit trail is never edited by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
