"""Reads of retention: the reader's cancel options, and the monthly report for staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from accounts.models import User
from billing.selectors import subscription_get_live
from offers.models import CancellationFeedback, CancelReason, Redemption, SaveOffer, SaveOfferKind
from offers.selectors import (
    offer_applies_to,
    offer_is_available,
    offer_plan_price,
    offer_public_terms,
)


def save_offers_for_reader(*, user: User) -> dict[str, SaveOffer]:
    """The save offer each reason would give this reader now (reasons offering nothing
    are absent): a pause, or a discount whose offer is available, not used by the reader
    and for the reader's plan. Three queries."""
    subscription = subscription_get_live(user=user)
    plan = subscription.plan if subscription is not None else None
    used = set(Redemption.objects.filter(user=user).values_list("offer_id", flat=True))
    usable = {}
    for save in SaveOffer.objects.select_related("offer"):
        if save.kind == SaveOfferKind.PAUSE:
            usable[save.reason] = save
        elif save.kind == SaveOfferKind.DISCOUNT and save.offer is not None:
            offer = save.offer
            if (
                offer_is_available(offer=offer)
                and offer.pk not in used
                and (plan is None or offer_applies_to(offer=offer, plan=plan))
            ):
                usable[save.reason] = save
    return usable


def cancel_options(*, user: User) -> list[dict[str, Any]]:
    """Each reason (its code and translated label) with the save offer this reader would
    get for it: {kind: discount, offer: public terms} or {kind: pause, months}, or None
    (nothing configured, or the offer is over, not for the reader's plan or used)."""
    usable = save_offers_for_reader(user=user)
    subscription = subscription_get_live(user=user)
    plan = subscription.plan if subscription is not None else None
    currency = (subscription.currency or None) if subscription is not None else None
    options = []
    for reason in CancelReason:
        save = usable.get(reason.value)
        offer: dict[str, Any] | None = None
        if save is not None and save.kind == SaveOfferKind.PAUSE:
            offer = {"kind": "pause", "months": save.months, "offer": None}
        elif save is not None and save.offer is not None:
            terms = {
                **offer_public_terms(offer=save.offer, currency=currency),
                # The reader's own plan's price with and without it, in its currency.
                "prices": [offer_plan_price(offer=save.offer, plan=plan, currency=currency)]
                if plan
                else [],
            }
            offer = {"kind": "discount", "months": None, "offer": terms}
        options.append(
            {
                "reason": reason.value,
                "label": str(reason.label),
                "takes_comment": reason == CancelReason.OTHER,
                "save_offer": offer,
            }
        )
    return options


def cancellation_report(*, since: datetime | None = None) -> list[dict[str, Any]]:
    """Per month (newest first): answers per reason, saved and cancelled, and the save
    rate saved / (saved + cancelled) (None when no answer). Two queries."""
    rows = CancellationFeedback.objects.all()
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    saved = Q(outcome=CancellationFeedback.Outcome.SAVED)
    cancelled = Q(outcome=CancellationFeedback.Outcome.CANCELLED)
    per_reason = (
        rows.annotate(month=TruncMonth("created_at"))
        .values("month", "reason")
        .annotate(saved=Count("pk", filter=saved), cancelled=Count("pk", filter=cancelled))
        .order_by("-month", "reason")
    )
    labels = dict(CancelReason.choices)
    months: dict[datetime, dict[str, Any]] = {}
    for row in per_reason:
        month = months.setdefault(
            row["month"], {"month": row["month"], "saved": 0, "cancelled": 0, "reasons": []}
        )
        month["saved"] += row["saved"]
        month["cancelled"] += row["cancelled"]
        month["reasons"].append(
            {
                "reason": row["reason"],
                "label": str(labels.get(row["reason"], row["reason"])),
                "saved": row["saved"],
                "cancelled": row["cancelled"],
                "save_rate": _rate(row["saved"], row["cancelled"]),
            }
        )
    for month in months.values():
        month["save_rate"] = _rate(month["saved"], month["cancelled"])
    return list(months.values())


def _rate(saved: int, cancelled: int) -> float | None:
    total = saved + cancelled
    return round(saved / total, 4) if total else None


def reader_cancellation_feedback(*, user: User) -> list[CancellationFeedback]:
    return list(CancellationFeedback.objects.filter(user=user).select_related("offer"))
