"""Retention in admin: the save offer per reason (marketing and support-lead edit,
support views: support/roles.py) and the readers' answers with the monthly report
(reasons and save rate per month)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from billing.admin import ReadOnlyAdmin
from offers.models import CancellationFeedback, Duration, Offer, SaveOffer
from offers.retention_selectors import cancellation_report
from offers.services import retention


@admin.register(SaveOffer)
class SaveOfferAdmin(admin.ModelAdmin):
    list_display = ("reason", "kind", "offer", "months", "updated_at")
    fields = ("reason", "kind", "offer", "months")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "offer":
            # Only what a save offer may be: repeating, for subscribers (SaveOffer.clean).
            kwargs["queryset"] = Offer.objects.filter(
                duration=Duration.REPEATING, first_time_only=False
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: SaveOffer, form: ModelForm, change: bool
    ) -> None:
        retention.save_offer_save(
            save_offer=obj,
            actor=request.user,  # type: ignore[arg-type]
            reason="changed in admin" if change else "created in admin",
        )


@admin.register(CancellationFeedback)
class CancellationFeedbackAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "reason", "offered_kind", "outcome", "user", "comment")
    list_filter = ("reason", "outcome", "offered_kind")
    readonly_fields = (
        "user",
        "subscription",
        "reason",
        "comment",
        "offered_kind",
        "offer",
        "pause_months",
        "outcome",
        "created_at",
    )
    change_list_template = "offers/admin/cancellationfeedback_change_list.html"
    # Who answered is for the roles that see readers (support), not for marketing.
    reader_fields = ("user", "subscription")

    def _sees_readers(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.view_user")

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        if self._sees_readers(request):
            return shown
        return tuple(f for f in shown if f not in self.reader_fields)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = self.readonly_fields
        if self._sees_readers(request):
            return fields
        return tuple(f for f in fields if f not in self.reader_fields)

    def get_urls(self) -> list[Any]:
        report = self.admin_site.admin_view(self.report_view)
        return [
            path("report/", report, name="offers_cancellationfeedback_report"),
            *super().get_urls(),
        ]

    def report_view(self, request: HttpRequest) -> HttpResponse:
        """Reasons and the save rate, saved / (saved + cancelled), per month."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancellation reasons and save rate per month",
            "opts": self.model._meta,
            "months": cancellation_report(),
        }
        return TemplateResponse(request, "offers/admin/cancellation_report.html", context)
