"""Billing in admin: read-only mirrors of Stripe state (the audit log is audit's).

Nothing Stripe mirrors is edited by hand; support acts through the reader
page (support/admin.py, support/admin_actions.py) and the reprocess action here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.requests import AuthenticatedHttpRequest
from billing.forms import SupportActionForm
from billing.models import (
    Customer,
    Notification,
    StripeAttempt,
    StripeEvent,
    Subscription,
    SubscriptionStatus,
    TrialClaim,
)
from billing.services import Actor, Audit, stripe_event_reprocess


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records nobody edits by hand: Stripe-mirrored data, and what readers did (offers'
    redemptions, cancellation answers)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("stripe_customer_id", "user", "country", "created_at", "deleted_at")
    list_filter = ("country",)
    search_fields = ("stripe_customer_id", "user__email")
    list_select_related = ("user",)


class TrialEndingSoonFilter(admin.SimpleListFilter):
    title = "trial ending"
    parameter_name = "trial_ending"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("3d", "in the next 3 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> Any:
        if self.value() != "3d":
            return queryset
        now = timezone.now()
        return queryset.filter(
            status=SubscriptionStatus.TRIALING,
            trial_end__gte=now,
            trial_end__lte=now + timedelta(days=3),
        )


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = (
        "stripe_subscription_id",
        "user",
        "plan",
        "status",
        "trial_end",
        "current_period_end",
        "cancel_at_period_end",
        "pause_resumes_at",
    )
    list_filter = (
        "status",
        TrialEndingSoonFilter,
        "plan",
        "cancel_at_period_end",
        "pause_behavior",
    )
    search_fields = ("stripe_subscription_id", "user__email", "customer__stripe_customer_id")
    list_select_related = ("user", "plan")
    date_hierarchy = "created_at"


@admin.register(TrialClaim)
class TrialClaimAdmin(ReadOnlyAdmin):
    list_display = ("user", "card_fingerprint", "claimed_at")
    search_fields = ("user__email", "card_fingerprint")


@admin.register(StripeAttempt)
class StripeAttemptAdmin(ReadOnlyAdmin):
    list_display = ("operation", "user", "status", "stripe_object_id", "created_at")
    list_filter = ("status", "operation")
    search_fields = ("idempotency_key", "stripe_object_id", "user__email")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "status", "attempts", "reader", "received_at", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("id", "object_id", "reader__email")
    list_select_related = ("reader",)
    date_hierarchy = "received_at"
    actions = ("reprocess",)

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.reprocess_stripeevent")

    @admin.action(description="Reprocess the selected events", permissions=["reprocess"])
    def reprocess(self, request: AuthenticatedHttpRequest, queryset: QuerySet[StripeEvent]) -> Any:
        """Ask for a confirmation and a reason first (an intermediate page)."""
        form = SupportActionForm(request.POST if "_run" in request.POST else None)
        if form.is_valid():
            for event in queryset:
                stripe_event_reprocess(
                    event_id=event.id,
                    audit=Audit(Actor.STAFF, user=request.user, reason=form.cleaned_data["reason"]),
                )
            self.message_user(
                request, f"{queryset.count()} event(s) queued again.", messages.SUCCESS
            )
            return None
        return TemplateResponse(
            request,
            "admin/billing/reprocess_events.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reprocess Stripe events",
                "events": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("kind", "key", "user", "sent_at")
    list_filter = ("kind",)
    search_fields = ("key", "user__email")


from billing import admin_plans  # noqa: E402, F401  (registers Plan: its price book and reports)
