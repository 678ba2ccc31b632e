"""The plans on sale, and their prices in a reader's currency."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import QuerySet

from billing.models import Plan, PlanStripePrice, Subscription
from billing.money import currency_tax_behavior, money_display
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


def plan_list_active() -> QuerySet[Plan]:
    return Plan.objects.filter(active=True).exclude(stripe_price_id="").order_by("amount", "code")


def plan_get_for_sale(*, code: str) -> Plan:
    """The active plan with this code that Stripe sells; unknown_plan otherwise."""
    plan = Plan.objects.filter(code=code, active=True).exclude(stripe_price_id="").first()
    if plan is None:
        raise ApplicationError(
            f"There is no plan called {code!r}.",
            code="unknown_plan",
            fields={"plan": [f"There is no plan called {code!r}."]},
        )
    return plan


def plan_amount_in(*, plan: Plan, currency: str) -> int | None:
    """What the plan's current Stripe price charges in `currency` (the price book as
    last synced, not an unsynced edit); None when it has no amount in it."""
    synced = PlanStripePrice.objects.filter(stripe_price_id=plan.stripe_price_id).first()
    if synced is not None:
        option = synced.options.get(currency)
        return int(option["unit_amount"]) if option else None
    return plan.amount if currency == plan.currency else None


def subscription_price(
    *, subscription: Subscription, synced: dict[str, PlanStripePrice] | None = None
) -> tuple[int, str] | None:
    """What a subscription's own Stripe price (an older one included) charges per
    period in the subscription's currency, (amount, currency); None for a price we
    never made. Before its currency is mirrored, the plan's default currency. `synced`:
    the prices by id, preloaded by a caller that asks for many subscriptions."""
    plan = subscription.plan
    currency = subscription.currency or plan.currency
    price_id = subscription.stripe_price_id or plan.stripe_price_id
    if synced is None:
        price = PlanStripePrice.objects.filter(stripe_price_id=price_id).first()
    else:
        price = synced.get(price_id)
    option = price.options.get(currency) if price is not None else None
    if option is None:
        return None
    return int(option["unit_amount"]), currency


@dataclass(frozen=True)
class PricedPlan:
    """A plan as a reader in `country` sees it: its amount in their currency, written in
    their locale, and whether that amount includes tax."""

    plan: Plan
    code: str
    name: str
    amount: int
    currency: str
    display: str
    tax_behavior: str
    interval: str
    trial_days: int


def plan_priced(*, plan: Plan, currency: str, country: str | None) -> PricedPlan:
    amount = plan_amount_in(plan=plan, currency=currency)
    if amount is None:
        message = f"{plan.name} is not sold in {currency.upper()}."
        raise ApplicationError(message, code="currency_unavailable", fields={"country": [message]})
    return PricedPlan(
        plan=plan,
        code=plan.code,
        name=plan.name,
        interval=plan.interval,
        trial_days=plan.trial_days,
        amount=amount,
        currency=currency,
        display=money_display(amount, currency, country=country),
        tax_behavior=currency_tax_behavior(currency),
    )


def plan_list_priced(*, currency: str, country: str | None) -> list[PricedPlan]:
    """The plans on sale, priced in `currency`, cheapest first. A plan whose Stripe price
    has no amount in it (a currency enabled since the last sync: check billing.E008)
    is left out, and logged."""
    priced = []
    for plan in plan_list_active():
        if plan_amount_in(plan=plan, currency=currency) is None:
            logger.warning("plan %s has no synced price in %s: not listed", plan.code, currency)
            continue
        priced.append(plan_priced(plan=plan, currency=currency, country=country))
    return sorted(priced, key=lambda p: (p.amount, p.code))
