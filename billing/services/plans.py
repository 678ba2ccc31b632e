"""The plan catalogue: settings.BILLING_PLANS made real in Stripe and in our table.

Each entry's `prices` ({"usd": 999, "eur": 999, "gbp": 899}; or the older
`amount` and `currency`) seed the plan's price book where staff have set nothing;
from then on the price book (admin) is what syncs (billing.services.price_book).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from audit.services import Actor, audit_record
from billing import gateway
from billing.models import Plan
from billing.services.attempts import stripe_write
from billing.services.price_book import (
    plan_price_sync,
    plan_state,
    price_book_missing,
    price_book_problem,
    price_book_seed,
)
from config.errors import ApplicationError

logger = logging.getLogger(__name__)

REQUIRED_KEYS = {"code", "name", "interval", "trial_days"}


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)


#: Stripe's bound on a subscription's trial_period_days.
MAX_TRIAL_DAYS = 730


def plan_catalogue_problems(*, catalogue: list[dict[str, Any]]) -> list[str]:
    """What is wrong with a plan catalogue, one sentence each (none: it can be synced).

    sync_plans refuses a catalogue with a problem before anything reaches
    Stripe; system check billing.E007 names each at start.
    """
    problems = [problem for entry in catalogue for problem in _entry_problems(entry)]
    codes = [entry.get("code") for entry in catalogue]
    if len(set(codes)) != len(codes):
        problems.append("Plan codes in the catalogue must be unique.")
    return problems


def _entry_problems(entry: dict[str, Any]) -> list[str]:
    missing = REQUIRED_KEYS - set(entry)
    if "prices" not in entry:
        missing |= {"amount", "currency"} - set(entry)
    if missing:
        return [f"Plan {entry.get('code', '?')} lacks {sorted(missing)}."]
    code = entry["code"]
    problems = []
    if entry["interval"] not in Plan.Interval.values:
        problems.append(f"Plan {code}: interval must be month or year.")
    prices = entry.get("prices")
    if prices is not None and (not isinstance(prices, dict) or not prices):
        return [*problems, f"Plan {code}: prices must map currencies to amounts."]
    for currency, amount in (prices or {entry["currency"]: entry["amount"]}).items():
        if not _is_int(amount) or int(amount) <= 0:
            problems.append(f"Plan {code}: amount must be positive.")
        currency = str(currency)
        if len(currency) != 3 or not currency.isalpha():
            problems.append(
                f"Plan {code}: currency must be a three-letter ISO code, not {currency!r}."
            )
    if not _is_int(entry["trial_days"]) or not 0 <= int(entry["trial_days"]) <= MAX_TRIAL_DAYS:
        problems.append(f"Plan {code}: trial_days must be between 0 and {MAX_TRIAL_DAYS}.")
    return problems


def _is_int(value: Any) -> bool:
    try:
        int(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool | float)


def _normalized(entry: dict[str, Any]) -> dict[str, Any]:
    prices = entry.get("prices") or {entry["currency"]: entry["amount"]}
    return {**entry, "prices": {str(c).lower(): int(a) for c, a in prices.items()}}


def plan_sync_catalogue(*, catalogue: list[dict[str, Any]]) -> SyncReport:
    """Create or update Stripe products and prices, and our plans, from the catalogue.

    Idempotent: a second run with the same catalogue writes nothing. The
    catalogue's amounts seed the price book where staff have set nothing; a
    plan must then have a price in every enabled currency (else nothing is
    written). A price is immutable in Stripe, so a changed price book or
    interval makes a new price (the lookup key moves to it) and archives the
    old one. Plans no longer in the catalogue are archived (inactive here and
    in Stripe); existing subscriptions keep them.
    """
    report = SyncReport()
    problems = plan_catalogue_problems(catalogue=catalogue)
    entries = [_normalized(e) for e in catalogue] if not problems else []
    for entry in entries:
        missing = price_book_missing(
            plan=Plan.objects.filter(code=entry["code"]).first(), seed=entry["prices"]
        )
        if missing:
            problems.append(price_book_problem(code=entry["code"], missing=missing))
    if problems:
        raise ApplicationError(problems[0], code="invalid_catalogue")
    codes = [e["code"] for e in entries]

    for entry in entries:
        existing = Plan.objects.filter(code=entry["code"]).first()
        before = _plan_state(existing)
        plan = _sync_one(existing, entry)
        after = _plan_state(plan)
        if before is None:
            report.created.append(plan.code)
        elif before != after:
            report.updated.append(plan.code)
        else:
            report.unchanged.append(plan.code)
        if before != after:
            audit_record(
                action="plan.synced",
                actor_type=Actor.SYSTEM,
                before=before,
                after=after,
                stripe_object_id=plan.stripe_price_id,
            )

    for plan in Plan.objects.filter(active=True).exclude(code__in=codes):
        before = _plan_state(plan)
        if plan.stripe_price_id:

            def archive_price(key: str, price_id: str = plan.stripe_price_id) -> Any:
                return gateway.price_set_active(
                    price_id=price_id, active=False, idempotency_key=key
                )

            stripe_write(
                operation="price.archive",
                user=None,
                params={"price": plan.stripe_price_id},
                call=archive_price,
            )
        if plan.stripe_product_id:

            def archive_product(
                key: str, product_id: str = plan.stripe_product_id, name: str = plan.name
            ) -> Any:
                return gateway.product_update(
                    product_id=product_id,
                    name=name,
                    active=False,
                    idempotency_key=key,
                )

            stripe_write(
                operation="product.archive",
                user=None,
                params={"product": plan.stripe_product_id},
                call=archive_product,
            )
        plan.active = False
        plan.save(update_fields=["active", "updated_at"])
        audit_record(
            action="plan.archived",
            actor_type=Actor.SYSTEM,
            before=before,
            after=_plan_state(plan),
            stripe_object_id=plan.stripe_price_id,
        )
        report.archived.append(plan.code)
    return report


def _plan_state(plan: Plan | None) -> dict[str, Any] | None:
    return plan_state(plan)


def _sync_one(plan: Plan | None, entry: dict[str, Any]) -> Plan:
    code = entry["code"]
    if plan is None:
        plan = Plan(code=code)
    # Product: one per plan, its name kept in step.
    if not plan.stripe_product_id:
        product = stripe_write(
            operation="product.create",
            user=None,
            params={"plan": code, "name": entry["name"]},
            call=lambda key: gateway.product_create(
                name=entry["name"], metadata={"plan_code": code}, idempotency_key=key
            ),
        )
        plan.stripe_product_id = product["id"]
    elif plan.name != entry["name"] or not plan.active:
        stripe_write(
            operation="product.update",
            user=None,
            params={"product": plan.stripe_product_id, "name": entry["name"], "active": True},
            call=lambda key: gateway.product_update(
                product_id=plan.stripe_product_id,
                name=entry["name"],
                active=True,
                idempotency_key=key,
            ),
        )
    plan.name = entry["name"]
    plan.interval = entry["interval"]
    plan.trial_days = int(entry["trial_days"])
    was_active = plan.active
    plan.active = True
    if plan.pk is None:
        default = str(settings.DEFAULT_CURRENCY)
        plan.currency = default if default in entry["prices"] else next(iter(entry["prices"]))
        plan.amount = entry["prices"][plan.currency]
    with transaction.atomic():
        plan.save()
        price_book_seed(plan=plan, amounts=entry["prices"])
    # Price: immutable, so a changed price book or interval means a new one.
    if not plan_price_sync(plan=plan) and not was_active:
        stripe_write(
            operation="price.unarchive",
            user=None,
            params={"price": plan.stripe_price_id},
            call=lambda key: gateway.price_set_active(
                price_id=plan.stripe_price_id, active=True, idempotency_key=key
            ),
        )
    return plan
