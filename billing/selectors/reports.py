"""Staff reports of money: revenue and MRR, one line per currency.

Amounts in different currencies are never added together (no conversion anywhere):
each currency is its own line, written with billing.money.money_display.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from billing import gateway
from billing.models import Plan, PlanStripePrice, Subscription, SubscriptionStatus
from billing.money import money_display
from billing.selectors.plans import subscription_price

# Subscriptions that are paying: trials, paused and ended ones are not revenue.
PAYING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
MONTHS_PER_INTERVAL: dict[str, int] = {Plan.Interval.MONTH: 1, Plan.Interval.YEAR: 12}


@dataclass(frozen=True)
class CurrencyLine:
    currency: str
    amount: int
    count: int

    @property
    def display(self) -> str:
        return money_display(self.amount, self.currency)


def mrr_per_currency() -> list[CurrencyLine]:
    """Monthly recurring revenue per currency: each paying subscription's price in its
    own currency (the Stripe price it has, even an older one), a yearly one counted as
    a twelfth, before discounts and tax handling. `count` is the subscriptions."""
    synced = {row.stripe_price_id: row for row in PlanStripePrice.objects.all()}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    paying = (
        Subscription.objects.filter(status__in=PAYING, pause_behavior="")
        .exclude(currency="")
        .select_related("plan")
    )
    for subscription in paying:
        price = subscription_price(subscription=subscription, synced=synced)
        if price is None:
            continue  # a price we never made: nothing to count it in
        amount, currency = price
        price_id = subscription.stripe_price_id or subscription.plan.stripe_price_id
        months = MONTHS_PER_INTERVAL.get(synced[price_id].interval, 1)
        totals[currency] += Decimal(amount) / months
        counts[currency] += 1
    return [
        CurrencyLine(
            currency=currency,
            amount=int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            count=counts[currency],
        )
        for currency, total in sorted(totals.items())
    ]


def revenue_per_currency(*, since: datetime) -> list[CurrencyLine]:
    """What readers paid since `since`, per currency: Stripe's paid invoices (amount
    paid, tax included), read from Stripe. `count` is the invoices."""
    totals: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for invoice in gateway.invoice_list_paid_since(created_gte=int(since.timestamp())):
        currency = str(invoice["currency"]).lower()
        totals[currency] += int(invoice["amount_paid"] or 0)
        counts[currency] += 1
    return [
        CurrencyLine(currency=currency, amount=total, count=counts[currency])
        for currency, total in sorted(totals.items())
        if counts[currency]
    ]
