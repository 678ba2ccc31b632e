"""Offers in admin, for the marketing and support-lead roles (support/roles.py).

Saving an offer goes through offers.services.offer_save: Stripe first (coupon
and promotion code), then our row, audited. A refusal (a redeemed offer's
discount, Stripe's own) is shown as an error and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from billing import gateway
from config.errors import ApplicationError
from offers import services
from offers.admin_conversion import ConversionAdminMixin
from offers.models import Offer, Redemption


class RedemptionInline(admin.TabularInline):
    model = Redemption
    extra = 0
    can_delete = False
    fields = ("user", "status", "plan_code", "with_trial", "subscription", "redeemed_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Offer)
class OfferAdmin(ConversionAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "headline",
        "discount",
        "duration",
        "trial_days",
        "starts_at",
        "ends_at",
        "redeemed",
        "redemption_count",
        "conversion",
        "active",
    )
    list_filter = ("active", "duration", "first_time_only", "lapsed_within_days")
    search_fields = ("code", "headline")
    filter_horizontal = ("plans",)
    readonly_fields = (
        "times_redeemed",
        "redemption_count",
        "conversion",
        "stripe_coupon_id",
        "stripe_promotion_code_id",
        "created_at",
        "updated_at",
    )
    inlines = (RedemptionInline,)
    actions = ("deactivate",)

    @admin.display(description="discount")
    def discount(self, obj: Offer) -> str:
        if obj.percent_off is not None:
            return f"{obj.percent_off.normalize()}%"
        return f"{obj.amount_off} {obj.currency} (minor units)"

    @admin.display(description="redeemed")
    def redeemed(self, obj: Offer) -> str:
        cap = obj.max_redemptions if obj.max_redemptions is not None else "∞"
        return f"{obj.times_redeemed} / {cap}"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an offer is deactivated, never deleted: its redemptions stay

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ApplicationError, gateway.GatewayError) as exc:
            messages.error(request, f"Nothing was saved: {exc.detail}")
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Offer, form: ModelForm, change: bool) -> None:
        services.offer_save(
            offer=obj,
            plans=list(form.cleaned_data.get("plans") or []),
            actor=request.user,  # type: ignore[arg-type]
            reason="changed in admin" if change else "created in admin",
        )

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        # offer_save set the plans (no form.save_m2m()); the redemptions inline is
        # read-only and saves nothing.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description="Deactivate the selected offers", permissions=["deactivate"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Offer]) -> None:
        for offer in queryset:
            services.offer_deactivate(
                offer=offer,
                actor=request.user,  # type: ignore[arg-type]
                reason="deactivated in admin",
            )
        self.message_user(request, f"{queryset.count()} offer(s) deactivated.")

    def has_deactivate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("offers.deactivate_offer")


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ("offer", "user", "status", "plan_code", "with_trial", "redeemed_at")
    list_filter = ("status", "with_trial", "offer")
    readonly_fields = (
        "offer",
        "user",
        "status",
        "plan_code",
        "with_trial",
        "subscription",
        "created_at",
        "redeemed_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


from offers import retention_admin  # noqa: E402, F401  (registers SaveOffer and CancellationFeedback)
