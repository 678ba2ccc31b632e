"""Offers' admin, win-back and item 7: each offer's redemptions and trial-to-paid
conversion (offers.conversion, computed in the changelist's one query)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from offers.conversion import conversion_text, offers_with_conversion
from offers.models import Offer


class ConversionAdminMixin:
    """For OfferAdmin: the annotated queryset and its columns."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Offer]:
        return offers_with_conversion(super().get_queryset(request))  # type: ignore[misc]

    @admin.display(description="redemptions", ordering="redemption_count")
    def redemption_count(self, obj: Any) -> int:
        return int(getattr(obj, "redemption_count", 0) or 0)

    @admin.display(description="trial to paid")
    def conversion(self, obj: Any) -> str:
        return conversion_text(
            trials=int(getattr(obj, "trial_count", 0) or 0),
            converted=int(getattr(obj, "converted_count", 0) or 0),
        )
