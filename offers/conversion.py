"""Redemptions and trial-to-paid conversion per offer, for admin: annotations on an
offer queryset, so a changelist of any length costs one query.

Of the readers who started a trial with the offer (redeemed, with_trial), converted
are those who have paid now: a receipt or an active subscription (offers.winback)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from offers.models import Offer, Redemption
from offers.winback import paid_by_reader


def _count(redemptions: QuerySet[Redemption]) -> Coalesce:
    counted = redemptions.order_by().values("offer").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def offers_with_conversion(queryset: QuerySet[Offer]) -> QuerySet[Offer]:
    """Each offer with redemption_count (redeemed), trial_count (of them, trials) and
    converted_count (of the trials, readers who have paid now)."""
    redeemed = Redemption.objects.filter(offer=OuterRef("pk"), status=Redemption.Status.REDEEMED)
    trials = redeemed.filter(with_trial=True)
    return queryset.annotate(
        redemption_count=_count(redeemed),
        trial_count=_count(trials),
        converted_count=_count(trials.filter(paid_by_reader(OuterRef("user")))),
    )


def conversion_text(*, trials: int, converted: int) -> str:
    """'2 of 3 trials (67%)', or '—' when no trial was started with the offer."""
    if not trials:
        return "—"
    return f"{converted} of {trials} trials ({round(100 * converted / trials)}%)"
