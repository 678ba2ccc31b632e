"""Plans in admin: the Stripe-mirrored fields read-only, the price book (an amount per
currency) edited by staff with billing.change_planprice, pushed to Stripe by the "Sync
to Stripe" action (billing.sync_plan, audited); and the revenue and MRR report, one
line per currency (billing.view_revenue_report)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from accounts.requests import AuthenticatedHttpRequest
from billing import gateway
from billing.models import Plan, PlanPrice
from billing.money import money_display
from billing.selectors.reports import mrr_per_currency, revenue_per_currency
from billing.services import Actor, Audit
from billing.services.price_book import (
    plan_sync_price_book,
    price_book_missing,
    price_book_options,
    price_book_record_edit,
)
from config.errors import ApplicationError

REVENUE_DAYS = 30
PLAN_FIELDS = (
    "code",
    "name",
    "amount",
    "currency",
    "interval",
    "trial_days",
    "active",
    "stripe_product_id",
    "stripe_price_id",
    "created_at",
    "updated_at",
)


class PlanPriceForm(forms.ModelForm):
    class Meta:
        model = PlanPrice
        fields = ("currency", "unit_amount")

    def clean_currency(self) -> str:
        currency = str(self.cleaned_data["currency"]).strip().lower()
        if currency not in settings.CURRENCIES:
            enabled = ", ".join(settings.CURRENCIES)
            raise forms.ValidationError(f"Not a currency we sell in (CURRENCIES: {enabled}).")
        return currency


class PlanPriceInline(admin.TabularInline):
    """The plan's amount in each currency, in the currency's minor unit (999 = 9.99),
    tax included where the currency's prices are tax-inclusive."""

    model = PlanPrice
    form = PlanPriceForm
    extra = 0
    fields = ("currency", "unit_amount", "shown", "updated_at")
    readonly_fields = ("shown", "updated_at")

    @admin.display(description="as readers see it")
    def shown(self, obj: PlanPrice) -> str:
        if not obj.pk:
            return ""
        return money_display(obj.unit_amount, obj.currency)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "prices", "in_stripe", "interval", "trial_days", "active")
    list_filter = ("active", "interval")
    search_fields = ("code", "name", "stripe_price_id", "stripe_product_id")
    readonly_fields = PLAN_FIELDS
    fields = PLAN_FIELDS
    inlines = (PlanPriceInline,)
    actions = ("sync_to_stripe",)
    change_list_template = "billing/admin/plan_change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Plan]:
        return super().get_queryset(request).prefetch_related("prices")

    @admin.display(description="price book")
    def prices(self, obj: Plan) -> str:
        order = {currency: i for i, currency in enumerate(settings.CURRENCIES)}
        rows = sorted(
            obj.prices.all(), key=lambda p: (order.get(p.currency, len(order)), p.currency)
        )
        return " · ".join(money_display(p.unit_amount, p.currency) for p in rows)

    @admin.display(description="Stripe has it", boolean=True)
    def in_stripe(self, obj: Plan) -> bool:
        """Whether the Stripe price has the price book as it is (else: sync)."""
        synced = obj.stripe_prices.filter(stripe_price_id=obj.stripe_price_id).first()
        return (
            synced is not None
            and not price_book_missing(plan=obj)
            and synced.options == price_book_options(plan=obj)
        )

    # Plans come from the catalogue (sync_plans): never added or deleted here; the
    # change page edits only the price book.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("billing.change_planprice")

    def has_sync_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.sync_plan")

    def save_model(self, request: HttpRequest, obj: Plan, form: Any, change: bool) -> None:
        pass  # nothing of the plan itself is edited here

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        plan = form.instance
        before = dict(sorted(plan.prices.values_list("currency", "unit_amount")))
        super().save_related(request, form, formsets, change)
        price_book_record_edit(
            plan=plan,
            before=before,
            audit=Audit(Actor.STAFF, user=request.user, reason="price book edited in admin"),  # type: ignore[arg-type]
        )
        missing = price_book_missing(plan=plan)
        if missing:
            self.message_user(
                request,
                f"{plan.code} has no price in {', '.join(m.upper() for m in missing)}: "
                "it cannot sync until it has.",
                messages.WARNING,
            )

    @admin.action(description="Sync the price book to Stripe", permissions=["sync"])
    def sync_to_stripe(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Plan]) -> None:
        audit = Audit(Actor.STAFF, user=request.user, reason="price book synced from admin")
        for plan in queryset:
            try:
                changed = plan_sync_price_book(plan=plan, audit=audit)
            except (ApplicationError, gateway.GatewayError) as exc:
                self.message_user(
                    request, f"{plan.code}: nothing synced: {exc.detail}", messages.ERROR
                )
                continue
            self.message_user(
                request,
                f"{plan.code}: a new Stripe price {plan.stripe_price_id}; existing subscribers "
                "keep theirs."
                if changed
                else f"{plan.code}: Stripe already has this price book.",
                messages.SUCCESS,
            )

    def get_urls(self) -> list[Any]:
        report = self.admin_site.admin_view(self.report_view)
        return [
            path("report/", report, name="billing_plan_report"),
            *super().get_urls(),
        ]

    def report_view(self, request: HttpRequest) -> HttpResponse:
        """Revenue (paid invoices, last 30 days) and MRR, each currency on its own line."""
        if not request.user.has_perm("billing.view_revenue_report"):
            raise PermissionDenied
        since = timezone.now() - timedelta(days=REVENUE_DAYS)
        context = {
            **self.admin_site.each_context(request),
            "title": "Revenue and MRR per currency",
            "opts": self.model._meta,
            "mrr": mrr_per_currency(),
            "since": since,
            "revenue_days": REVENUE_DAYS,
        }
        try:
            context["revenue"] = revenue_per_currency(since=since)
        except gateway.GatewayError as exc:
            context["revenue_error"] = exc.detail
        return TemplateResponse(request, "billing/admin/revenue_report.html", context)
