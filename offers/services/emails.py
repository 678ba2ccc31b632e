"""The reader's "offer applied" email, once per redemption."""

from __future__ import annotations

from billing import selectors as billing
from billing.services.notifications import format_amount, notification_send_once
from offers.models import Redemption
from offers.selectors import offer_discounted_amount

SUBJECT = "Your offer is applied"


def offer_applied_notify(*, redemption_id: int) -> bool:
    """Mail the reader what the offer gives them; True if sent now (claimed once per
    redemption: billing's Notification, kind offer_applied)."""
    redemption = (
        Redemption.objects.select_related(
            "offer", "user", "subscription__plan", "subscription__customer"
        )
        .filter(pk=redemption_id, status=Redemption.Status.REDEEMED)
        .first()
    )
    if redemption is None or redemption.subscription is None:
        return False
    offer, subscription = redemption.offer, redemption.subscription
    plan = subscription.plan
    country = subscription.customer.country or None
    # The subscription's own price, in its currency (a German reader's is in euros).
    amount, currency = billing.subscription_price(subscription=subscription) or (
        plan.amount,
        plan.currency,
    )
    discounted = offer_discounted_amount(offer=offer, amount=amount, currency=currency)
    return notification_send_once(
        kind="offer_applied",
        key=f"{subscription.stripe_subscription_id}:{offer.pk}",
        user=redemption.user,
        subject=SUBJECT,
        template="offers/email/offer_applied",
        context={
            "offer": offer,
            "plan_name": plan.name,
            "interval": plan.interval,
            "currency": currency,
            "amount": format_amount(amount, currency, country=country),
            "discounted_amount": format_amount(discounted, currency, country=country),
            "trial_end": subscription.trial_end if redemption.with_trial else None,
        },
    )
