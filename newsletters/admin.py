"""Newsletters in admin: the lists with their confirmed counts and a CSV export, the
subscribers searched by email, unsubscribe on request (audited) and erasure."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from accounts.requests import AuthenticatedHttpRequest
from newsletters import selectors, services
from newsletters.models import Newsletter, Subscriber, Subscription

EXPORT_COLUMNS = (
    "newsletter",
    "email",
    "id",
    "confirmed_at",
    "source",
    "list_unsubscribe",
    "list_unsubscribe_post",
)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export_rows(newsletters: list[Newsletter]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for newsletter in newsletters:
        for row in selectors.confirmed_subscribers(newsletter=newsletter):
            yield writer.writerow([newsletter.slug, *(row[c] for c in EXPORT_COLUMNS[1:])])


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "frequency",
        "audience",
        "default_at_registration",
        "is_active",
        "confirmed",
    )
    list_filter = ("is_active", "audience", "frequency")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    actions = ("export_csv",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Newsletter]:
        return selectors.newsletters_with_counts()

    @admin.display(description="confirmed subscribers", ordering="confirmed_count")
    def confirmed(self, obj: Any) -> int:
        return int(obj.confirmed_count)

    @admin.action(description="Export the confirmed subscribers (CSV)", permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Newsletter]) -> Any:
        response = StreamingHttpResponse(
            _export_rows(list(queryset.order_by("position", "name"))), content_type="text/csv"
        )
        response["Content-Disposition"] = 'attachment; filename="newsletter-subscribers.csv"'
        return response

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting would lose its subscribers' consent: deactivate it instead

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("newsletters.export_subscribers")


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # through the actions, which record the removal (and audit it)


@admin.register(Subscription)
class SubscriptionAdmin(_ReadOnly):
    list_display = ("subscriber", "newsletter", "confirmed_at", "source", "source_page")
    list_filter = ("newsletter", "source")
    list_select_related = ("subscriber", "newsletter")
    search_fields = ("subscriber__email",)
    actions = ("unsubscribe",)

    @admin.action(description="Unsubscribe (on the reader's request)", permissions=["unsubscribe"])
    def unsubscribe(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Subscription]
    ) -> None:
        count = 0
        for subscription in queryset:
            services.subscription_unsubscribe_on_request(
                subscription=subscription,
                staff=request.user,
                reason="unsubscribed in admin on the reader's request",
            )
            count += 1
        self.message_user(request, f"{count} unsubscribed.", messages.SUCCESS)

    def has_unsubscribe_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("newsletters.unsubscribe_on_request")


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    fields = ("newsletter", "confirmed_at", "consented_at", "source", "source_page", "ip_hash")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(_ReadOnly):
    list_display = ("email", "user", "created_at")
    list_select_related = ("user",)
    search_fields = ("email",)
    inlines = (SubscriptionInline,)
    actions = ("erase",)

    @admin.action(
        description="Erase (an erasure request: off every list, forgotten)",
        permissions=["erase"],
    )
    def erase(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Subscriber]) -> None:
        count = 0
        for subscriber in queryset:
            services.subscriber_erase_on_request(subscriber=subscriber, staff=request.user)
            count += 1
        self.message_user(request, f"{count} erased.", messages.SUCCESS)

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("newsletters.erase_subscriber")
