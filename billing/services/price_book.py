"""The price book: each plan's amount in every currency we sell in (PlanPrice), set by
staff in admin, never converted at run time, and synced to Stripe.

One Stripe Price per plan carries every currency: its own amount in DEFAULT_CURRENCY
and the others in `currency_options`, each with the tax behaviour of its currency
(billing.money.currency_tax_behavior); a subscription's `currency` picks the amount
(docs/currencies.md says why). A Price is immutable: a changed amount or tax
behaviour in any currency makes a new Price (the lookup key moves to it) and the
old one is archived; its subscribers keep it (PlanStripePrice maps it to the plan).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from audit.services import audit_record
from billing import gateway
from billing.models import Plan, PlanPrice, PlanStripePrice
from billing.money import currency_tax_behavior
from billing.services.apply import Audit
from billing.services.attempts import stripe_write
from config.errors import ApplicationError


def price_book_missing(*, plan: Plan | None, seed: dict[str, int] | None = None) -> list[str]:
    """The enabled currencies (CURRENCIES) in which the plan has no price, counting
    `seed` (the catalogue's defaults) as set where staff have set nothing."""
    have = set(seed or {})
    if plan is not None and plan.pk:
        have |= set(plan.prices.values_list("currency", flat=True))
    return [currency for currency in settings.CURRENCIES if currency not in have]


def price_book_problem(*, code: str, missing: list[str]) -> str:
    shown = ", ".join(currency.upper() for currency in missing)
    return (
        f"Plan {code} has no price in {shown}: an active plan needs one in every enabled "
        "currency (CURRENCIES) before it syncs; set it in the plan's price book in admin."
    )


def price_book_seed(*, plan: Plan, amounts: dict[str, int]) -> list[str]:
    """Give the plan the catalogue's default amounts where staff have set nothing;
    the currencies seeded."""
    seeded = []
    for currency, amount in sorted(amounts.items()):
        _, created = PlanPrice.objects.get_or_create(
            plan=plan, currency=currency, defaults={"unit_amount": int(amount)}
        )
        if created:
            seeded.append(currency)
    return seeded


def price_book_options(*, plan: Plan) -> dict[str, dict[str, Any]]:
    """The plan's price book as Stripe takes it, for the enabled currencies:
    {"eur": {"unit_amount": 999, "tax_behavior": "inclusive"}}."""
    amounts = dict(plan.prices.values_list("currency", "unit_amount"))
    return {
        currency: {
            "unit_amount": amounts[currency],
            "tax_behavior": currency_tax_behavior(currency),
        }
        for currency in settings.CURRENCIES
        if currency in amounts
    }


def plan_price_sync(*, plan: Plan) -> bool:
    """Make the plan's Stripe Price match its price book (the plan saved, not
    audited: the caller records the sync); False when it already did."""
    missing = price_book_missing(plan=plan)
    if missing:
        raise ApplicationError(
            price_book_problem(code=plan.code, missing=missing), code="price_book_incomplete"
        )
    options = price_book_options(plan=plan)
    current = PlanStripePrice.objects.filter(stripe_price_id=plan.stripe_price_id).first()
    if (
        current is not None
        and plan.stripe_price_id
        and (current.options, current.interval) == (options, plan.interval)
    ):
        return False
    default = str(settings.DEFAULT_CURRENCY)
    own = options[default]
    others = {currency: option for currency, option in options.items() if currency != default}
    old_price_id = plan.stripe_price_id
    price = stripe_write(
        operation="price.create",
        user=None,
        params={"product": plan.stripe_product_id, "options": options, "interval": plan.interval},
        call=lambda key: gateway.price_create(
            product_id=plan.stripe_product_id,
            amount=own["unit_amount"],
            currency=default,
            tax_behavior=own["tax_behavior"],
            currency_options=others,
            interval=plan.interval,
            lookup_key=plan.code,
            idempotency_key=key,
        ),
    )
    if old_price_id:
        stripe_write(
            operation="price.archive",
            user=None,
            params={"price": old_price_id},
            call=lambda key: gateway.price_set_active(
                price_id=old_price_id, active=False, idempotency_key=key
            ),
        )
    with transaction.atomic():
        PlanStripePrice.objects.get_or_create(
            stripe_price_id=price["id"],
            defaults={"plan": plan, "interval": plan.interval, "options": options},
        )
        plan.stripe_price_id = price["id"]
        plan.amount = own["unit_amount"]
        plan.currency = default
        plan.save()
    return True


def plan_state(plan: Plan | None) -> dict[str, Any] | None:
    """A plan as an audit entry's before or after shows it."""
    if plan is None:
        return None
    return {
        "code": plan.code,
        "name": plan.name,
        "amount": plan.amount,
        "currency": plan.currency,
        "prices": dict(sorted(plan.prices.values_list("currency", "unit_amount")))
        if plan.pk
        else {},
        "interval": plan.interval,
        "trial_days": plan.trial_days,
        "active": plan.active,
        "stripe_product_id": plan.stripe_product_id,
        "stripe_price_id": plan.stripe_price_id,
    }


def plan_sync_price_book(*, plan: Plan, audit: Audit) -> bool:
    """Push the staff's price book of one plan to Stripe (the admin action), audited in
    their name; False when Stripe had it already. An archived plan is not sold: it
    is refused (the catalogue sync brings it back)."""
    if not plan.active or not plan.stripe_product_id:
        raise ApplicationError(
            f"Plan {plan.code} is not on sale: only an active plan's prices sync.",
            code="plan_not_active",
        )
    before = plan_state(plan)
    before_price = plan.stripe_price_id
    changed = plan_price_sync(plan=plan)
    audit_record(
        action="plan.price_book_synced",
        actor_type=audit.actor_type,
        actor_user=audit.user,
        reason=audit.reason,
        before={**(before or {}), "stripe_price_id": before_price},
        after=plan_state(plan),
        stripe_object_id=plan.stripe_price_id,
    )
    return changed


def price_book_record_edit(*, plan: Plan, before: dict[str, int], audit: Audit) -> None:
    """Audit staff's edit of a plan's price book (what Stripe charges changes only at the
    next sync, itself audited)."""
    after = dict(sorted(plan.prices.values_list("currency", "unit_amount")))
    if after == before:
        return
    audit_record(
        action="plan.price_book_changed",
        actor_type=audit.actor_type,
        actor_user=audit.user,
        reason=audit.reason,
        before={"code": plan.code, "prices": before},
        after={"code": plan.code, "prices": after},
    )
