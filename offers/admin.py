"""Offers in admin, for the marketing and support-lead roles (support/roles.py).

Saving an offer goes through offers.services.offer_save: Stripe first (coupon
and promotion code), then our row, audited. A refusal (a redeemed offer's
discount, Stripe's own) is shown as an error and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from billing import gateway
from billing.admin import ReadOnlyAdmin
from billing.money import money_display
from config.errors import ApplicationError
from offers import services
from offers.admin_conversion import ConversionAdminMixin
from offers.models import Offer, Redemption


class OfferForm(forms.ModelForm):
    """An amount off is given per currency we sell in (one field each, CURRENCIES: see
    offer_form_class), as Stripe's coupon keeps it: `amount_off` and `currency` for
    the default currency, `currency_options` for the others."""

    class Meta:
        model = Offer
        fields = (
            "code",
            "headline",
            "terms",
            "percent_off",
            "duration",
            "duration_in_months",
            "trial_days",
            "plans",
            "starts_at",
            "ends_at",
            "max_redemptions",
            "first_time_only",
            "active",
            "lapsed_within_days",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for currency in settings.CURRENCIES:
            if _amount_field(currency) in self.fields:
                self.fields[_amount_field(currency)].initial = self.instance.amount_off_in(currency)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amounts = {
            currency: cleaned[_amount_field(currency)]
            for currency in settings.CURRENCIES
            if cleaned.get(_amount_field(currency)) is not None
        }
        default = str(settings.DEFAULT_CURRENCY)
        currency = default if default in amounts else next(iter(amounts), "")
        self.instance.amount_off = amounts.get(currency)
        self.instance.currency = currency
        self.instance.currency_options = {c: a for c, a in amounts.items() if c != currency}
        return cleaned

    def _update_errors(self, errors: ValidationError) -> None:
        # The model's rules about amount_off, currency and currency_options concern the
        # per-currency fields together: shown above the form.
        if hasattr(errors, "error_dict"):
            mapped: dict[str, list[Any]] = {}
            for field, messages_ in errors.error_dict.items():
                key = field if field in self.fields else NON_FIELD_ERRORS
                mapped.setdefault(key, []).extend(messages_)
            errors = ValidationError(mapped)
        super()._update_errors(errors)  # type: ignore[misc]  # Django's, not in the stubs


def offer_form_class() -> type[OfferForm]:
    """OfferForm with an "amount off" field per currency enabled now (CURRENCIES)."""
    fields = {
        _amount_field(currency): forms.IntegerField(
            label=f"Amount off in {currency.upper()}",
            min_value=1,
            required=False,
            help_text="Minor units (300 = 3.00). An amount off needs one in every currency.",
        )
        for currency in settings.CURRENCIES
    }
    return type("OfferForm", (OfferForm,), fields)


def _amount_field(currency: str) -> str:
    return f"amount_off_{currency}"


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
    form = OfferForm
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
        amounts = [(c, obj.amount_off_in(c)) for c in settings.CURRENCIES]
        return " · ".join(money_display(a, c) for c, a in amounts if a is not None)

    @admin.display(description="redeemed")
    def redeemed(self, obj: Offer) -> str:
        cap = obj.max_redemptions if obj.max_redemptions is not None else "∞"
        return f"{obj.times_redeemed} / {cap}"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an offer is deactivated, never deleted: its redemptions stay

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("form", offer_form_class())
        return super().get_form(request, obj, change, **kwargs)

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
class RedemptionAdmin(ReadOnlyAdmin):
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


from offers import retention_admin  # noqa: E402, F401  (registers SaveOffer and CancellationFeedback)
