"""The one function that writes Stripe's subscription state into our cache.

Used by the API after each Stripe write, by webhook processing and by the
periodic reconciliation alike (docs/architecture.md, "Sources of truth").

Who writes the audit entry: a system sync (a webhook, the reconciliation)
passes an Audit value and records here what applying changed. A service action
(a cancel, a trial extension) passes audit=None and writes its own single
entry, whether or not applying changed anything: the webhook for its change
may have been applied first, and the entry must still name who acted and why.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from billing.gateway import from_unix
from billing.models import LIVE_STATUSES, Customer, Plan, PlanStripePrice, Subscription
from billing.selectors.invoices import invoice_amounts
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Audit:
    """Who acts and why, as a write's audit entry names them: one value instead of
    three keywords on every service write."""

    actor_type: str
    user: User | None = None
    reason: str = ""


MIRRORED_FIELDS = (
    "status",
    "plan_id",
    "trial_start",
    "trial_end",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
    "canceled_at",
    "ended_at",
    "pause_behavior",
    "pause_resumes_at",
    "discount",
)

# Called with the reader after every change of their subscription: the
# entitlements cache registers its invalidation here (no import cycle).
subscription_changed_hooks: list[Callable[[User | None], None]] = []


def _field(obj: Any, name: str, default: Any = None) -> Any:
    try:
        value = obj[name]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def discount_mirror(stripe_subscription: Any) -> dict[str, Any]:
    """The subscription's first discount as we show it, from the expanded `discounts`
    (gateway.SUBSCRIPTION_EXPAND): {} when it has none. `offer` is the promotion
    code's code (an offer's code, offers/), "" for a coupon applied without one."""
    for discount in _field(stripe_subscription, "discounts", []):
        if isinstance(discount, str):
            continue  # not expanded: nothing to show
        coupon = _field(_field(discount, "source", {}), "coupon", {})
        if isinstance(coupon, str):
            coupon = {"id": coupon}
        promotion_code = _field(discount, "promotion_code", {})
        end = _field(discount, "end")
        amount_off, currency = _amount_off_in(coupon, _field(stripe_subscription, "currency"))
        return {
            "id": str(_field(discount, "id", "")),
            "offer": "" if isinstance(promotion_code, str) else _field(promotion_code, "code", ""),
            "coupon": str(_field(coupon, "id", "")),
            "percent_off": _field(coupon, "percent_off"),
            "amount_off": amount_off,
            "currency": currency,
            "duration": _field(coupon, "duration"),
            "ends_at": _iso(from_unix(end)),
        }
    return {}


def _amount_off_in(coupon: Any, currency: Any) -> tuple[Any, Any]:
    """An amount-off coupon's amount in the subscription's currency: its own, or the
    matching `currency_options` entry (a coupon made with an amount per currency)."""
    own = _field(coupon, "currency")
    if currency and own and str(currency).lower() != str(own).lower():
        option = (_field(coupon, "currency_options") or {}).get(str(currency).lower())
        if option is not None:
            return _field(option, "amount_off"), str(currency).lower()
    return _field(coupon, "amount_off"), own


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _id_of(value: Any) -> str:
    """A Stripe reference is an id, or the object itself when expanded."""
    if not value:
        return ""
    return value if isinstance(value, str) else str(_field(value, "id", ""))


def subscription_snapshot(subscription: Subscription) -> dict[str, Any]:
    """The mirrored fields of our row, as an audit entry's before or after shows them."""
    out: dict[str, Any] = {}
    for name in MIRRORED_FIELDS:
        value = getattr(subscription, name)
        if name == "plan_id":
            out["plan"] = subscription.plan.code if value else None
        else:
            out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def subscription_apply_stripe(
    *,
    stripe_subscription: Any,
    audit: Audit | None,
    action: str = "subscription.synced",
) -> Subscription:
    """Write one Stripe subscription object into its local row (created if new).

    The row is locked for the write; a change of any mirrored field is
    audited with before and after in the name of `audit`, unless it is None
    (the calling action writes its own entry). Two first applies of one new
    subscription racing each other: the loser retries once and finds the row.
    """
    try:
        return _apply(stripe_subscription=stripe_subscription, audit=audit, action=action)
    except IntegrityError:
        return _apply(stripe_subscription=stripe_subscription, audit=audit, action=action)


def _apply(*, stripe_subscription: Any, audit: Audit | None, action: str) -> Subscription:
    stripe_id = str(stripe_subscription["id"])
    customer_id = _id_of(stripe_subscription["customer"])
    items = _field(_field(stripe_subscription, "items", {}), "data", [])
    if not items:
        raise ApplicationError(f"Stripe subscription {stripe_id} has no items.", code="invalid")
    item = items[0]
    price_id = _id_of(_field(item, "price"))
    pause = _field(stripe_subscription, "pause_collection") or {}
    values = {
        "status": str(stripe_subscription["status"]),
        "trial_start": from_unix(_field(stripe_subscription, "trial_start")),
        "trial_end": from_unix(_field(stripe_subscription, "trial_end")),
        "current_period_start": from_unix(_field(item, "current_period_start")),
        "current_period_end": from_unix(_field(item, "current_period_end")),
        "cancel_at_period_end": bool(_field(stripe_subscription, "cancel_at_period_end", False)),
        "canceled_at": from_unix(_field(stripe_subscription, "canceled_at")),
        "ended_at": from_unix(_field(stripe_subscription, "ended_at")),
        "latest_invoice_id": _id_of(_field(stripe_subscription, "latest_invoice")),
        "default_payment_method_id": _id_of(_field(stripe_subscription, "default_payment_method")),
        "stripe_created": from_unix(_field(stripe_subscription, "created")),
        "pause_behavior": str(_field(pause, "behavior", "")),
        "pause_resumes_at": from_unix(_field(pause, "resumes_at")) if pause else None,
        "discount": discount_mirror(stripe_subscription),
        "currency": str(_field(stripe_subscription, "currency", "")).lower(),
        "stripe_price_id": price_id,
    }
    with transaction.atomic():
        plan = _plan_of_price(price_id)
        local = (
            Subscription.objects.select_for_update()
            .select_related("plan")
            .filter(stripe_subscription_id=stripe_id)
            .first()
        )
        if local is None:
            customer = Customer.objects.select_related("user").get(stripe_customer_id=customer_id)
            local = Subscription(
                stripe_subscription_id=stripe_id, customer=customer, user=customer.user
            )
            before = None
        else:
            before = subscription_snapshot(local)
        local.plan = plan
        latest = _field(stripe_subscription, "latest_invoice")
        if isinstance(latest, dict):  # expanded (gateway.SUBSCRIPTION_EXPAND): its amounts
            local.latest_invoice_amounts = invoice_amounts(latest)
        elif local.latest_invoice_id != values["latest_invoice_id"]:
            local.latest_invoice_amounts = {}  # another invoice, not read: nothing to show
        for name, value in values.items():
            setattr(local, name, value)
        local.synced_at = timezone.now()
        local.save()
        _customer_currency_mirror(local)
        after = subscription_snapshot(local)
        if before != after and audit is not None:
            audit_record(
                action=action if before is not None else "subscription.created",
                actor_type=audit.actor_type,
                actor_user=audit.user,
                reader=local.user,
                reason=audit.reason,
                before=before,
                after=after,
                stripe_object_id=stripe_id,
            )
        if before != after:
            reader = local.user
            for hook in subscription_changed_hooks:
                transaction.on_commit(functools.partial(hook, reader))
    return local


def _plan_of_price(price_id: str) -> Plan:
    """The plan a Stripe price sells: its current price, or one it had before (whose
    subscribers keep it after the price book changed)."""
    plan = Plan.objects.filter(stripe_price_id=price_id).first()
    if plan is None:
        known = PlanStripePrice.objects.select_related("plan").filter(stripe_price_id=price_id)
        plan = next((row.plan for row in known), None)
    if plan is None:
        raise ApplicationError(
            f"Stripe price {price_id} matches no plan; run sync_plans.", code="unknown_price"
        )
    return plan


def _customer_currency_mirror(subscription: Subscription) -> None:
    """Stripe's customer currency: set by its first subscription, and by a new one in
    another currency once nothing live is left in the old (Stripe refuses it before).

    The customer's row is taken only if nobody holds it (SKIP LOCKED): two applies of
    one customer's subscriptions at once (a webhook and the reconciliation) would
    otherwise wait on each other's rows; the one holding it writes the currency, and
    every later apply mirrors it again."""
    currency = subscription.currency
    customer = subscription.customer
    if not currency or customer.currency == currency:
        return
    if customer.currency and subscription.status not in LIVE_STATUSES:
        return
    free = Customer.objects.select_for_update(skip_locked=True, no_key=True).filter(pk=customer.pk)
    if not list(free.values_list("pk", flat=True)):
        return
    Customer.objects.filter(pk=customer.pk).update(currency=currency)
    customer.currency = currency


def subscription_sync_from_stripe(
    *,
    stripe_subscription_id: str,
    audit: Audit | None,
    action: str = "subscription.synced",
) -> Subscription:
    """Re-read one subscription from Stripe and apply it, under the row's lock.

    The lock is held across the read and the write, so two callers (a webhook
    and a reconciliation, say) cannot interleave and write an older state last.
    With audit=None no entry is written (the caller writes its own).
    """
    from billing import gateway

    with transaction.atomic():
        list(
            Subscription.objects.select_for_update()
            .filter(stripe_subscription_id=stripe_subscription_id)
            .values_list("pk", flat=True)
        )
        remote = gateway.subscription_retrieve(subscription_id=stripe_subscription_id)
        return subscription_apply_stripe(stripe_subscription=remote, audit=audit, action=action)
