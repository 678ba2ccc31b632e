"""Accounts in admin: find a person by email, see their roles and dates.

The reader page (billing, access and support actions on the same page) is
support's: support/admin.py registers a subclass of this admin in its place.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashWidget
from django.http import HttpRequest

from accounts.models import User


class PasswordHashWidget(ReadOnlyPasswordHashWidget):
    """The password summary, with its "Reset password" button only for staff who may use it."""

    template_name = "accounts/password_hash.html"

    def __init__(self, *, can_reset: bool) -> None:
        super().__init__()
        self.can_reset = can_reset

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["can_reset"] = self.can_reset
        return context


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("-date_joined",)
    list_display = ("email", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields: ClassVar[tuple[str, ...]] = ("email",)  # partial, case-insensitive
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ("groups",)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "password" in form.base_fields:
            # Django's password view (user_change_password) answers 403 unless
            # has_change_permission: the button shows on that same check.
            field = copy.deepcopy(form.base_fields["password"])
            field.widget = PasswordHashWidget(can_reset=self.has_change_permission(request, obj))
            form.base_fields["password"] = field
        return form

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        # Searches across related rows (a subclass's search_fields) would repeat a person.
        queryset, _duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False
