"""Support staff grant complimentary access and manage service keys; every change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.requests import AuthenticatedHttpRequest, staff_user
from config.errors import ApplicationError
from entitlements.api_keys import api_key_create, api_key_revoke
from entitlements.models import ApiKey, Grant
from entitlements.services import grant_create, grant_revoke


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("reader", "starts_at", "ends_at", "revoked_at", "granted_by", "reason")
    list_filter = ("revoked_at",)
    search_fields = ("reader__email", "reason")
    raw_id_fields = ("reader",)
    fields = ("reader", "starts_at", "ends_at", "reason", "granted_by", "revoked_at", "revoked_by")
    readonly_fields = ("granted_by", "revoked_at", "revoked_by")
    actions = ("revoke",)

    def get_readonly_fields(self, request: HttpRequest, obj: Grant | None = None) -> Any:
        if obj is not None:  # a grant is revoked, never edited
            return self.fields
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Grant, form: Any, change: bool) -> None:
        if change:
            return
        try:
            grant = grant_create(
                reader=obj.reader,
                starts_at=obj.starts_at,
                ends_at=obj.ends_at,
                reason=obj.reason,
                granted_by=staff_user(request),
            )
        except ApplicationError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            raise
        obj.pk = grant.pk

    @admin.action(description="Revoke the selected grants now")
    def revoke(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Grant]) -> None:
        for grant in queryset.filter(revoked_at__isnull=True):
            grant_revoke(grant=grant, revoked_by=request.user, reason="revoked in admin")
        self.message_user(request, "Revoked.", messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: Grant | None = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at", "created_by")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    fields = ("name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        if obj is not None:
            return self.fields
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return
        created = api_key_create(name=obj.name, created_by=staff_user(request))
        obj.pk = created.api_key.pk
        self.message_user(
            request,
            f"The key for {obj.name} is {created.key} - copy it now: it will not be shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected keys now")
    def revoke(self, request: AuthenticatedHttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key, revoked_by=request.user)
        self.message_user(request, "Revoked.", messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False
