"""Reads of billing state, shaped for their callers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from billing import gateway
from billing.gateway import from_unix
from billing.models import LIVE_STATUSES, Customer, Plan, Subscription, SubscriptionStatus
from config.errors import ApplicationError


def plan_list_active() -> QuerySet[Plan]:
    return Plan.objects.filter(active=True).exclude(stripe_price_id="").order_by("amount", "code")


def subscription_get_current(*, user: User) -> Subscription | None:
    """The live subscription, else the most recent one, else None."""
    subscriptions = Subscription.objects.select_related("plan").filter(user=user)
    live = subscriptions.filter(status__in=LIVE_STATUSES).first()
    return live or subscriptions.order_by("-created_at").first()


def subscription_access_until(
    subscription: Subscription, *, now: datetime | None = None
) -> datetime | None:
    """Until when this subscription alone grants unlimited access, or None if it does not now."""
    now = now or timezone.now()
    status = subscription.status
    if status == SubscriptionStatus.TRIALING:
        end = subscription.trial_end or subscription.current_period_end
    elif status == SubscriptionStatus.ACTIVE:
        end = subscription.current_period_end
    elif status == SubscriptionStatus.PAST_DUE:
        # Access while Stripe retries the card, or for PAST_DUE_GRACE_DAYS after
        # the failed renewal (the start of the unpaid period).
        grace = settings.PAST_DUE_GRACE_DAYS
        if grace is None:
            end = subscription.current_period_end
        elif subscription.current_period_start:
            end = subscription.current_period_start + timedelta(days=grace)
        else:
            end = None
    else:
        return None
    if end is None or end <= now:
        return None
    return end


def subscription_has_unlimited_access(
    subscription: Subscription, *, now: datetime | None = None
) -> bool:
    return subscription_access_until(subscription, now=now) is not None


@dataclass(frozen=True)
class InvoicePage:
    results: list[dict[str, Any]]
    next: str | None


INVOICE_CURSOR = re.compile(r"^in_[A-Za-z0-9]{1,250}$")


def invoice_list_for_user(*, user: User, cursor: str = "", limit: int = 20) -> InvoicePage:
    """The reader's invoices, newest first, read from Stripe (the source of truth)."""
    if cursor and not INVOICE_CURSOR.match(cursor):
        raise ApplicationError(
            "The cursor is not valid.", code="invalid_cursor", fields={"cursor": ["Not valid."]}
        )
    customer = Customer.objects.filter(user=user).first()
    if customer is None:
        return InvoicePage(results=[], next=None)
    page = gateway.invoice_list(
        customer_id=customer.stripe_customer_id, limit=limit, starting_after=cursor
    )
    data = list(page["data"])
    results = [
        {
            "id": inv["id"],
            "number": inv.get("number"),
            "amount_due": inv.get("amount_due"),
            "amount_paid": inv.get("amount_paid"),
            "currency": inv.get("currency"),
            "status": inv.get("status"),
            "period_start": from_unix(inv.get("period_start")),
            "period_end": from_unix(inv.get("period_end")),
            "hosted_invoice_url": inv.get("hosted_invoice_url"),
            "created": from_unix(inv.get("created")),
        }
        for inv in data
    ]
    has_more = bool(page.get("has_more"))
    return InvoicePage(results=results, next=data[-1]["id"] if has_more and data else None)


def payment_intent_in(invoice: dict[str, Any]) -> Any:
    """The invoice's payment intent, an id or (expanded) an object; since Basil it sits
    under invoice.payments."""
    for payment in (invoice.get("payments") or {}).get("data") or []:
        intent = (payment.get("payment") or {}).get("payment_intent")
        if intent:
            return intent
    return None


def invoice_payment_intent(*, invoice_id: str) -> dict[str, Any] | None:
    """The payment intent of an invoice, as Stripe has it now."""
    invoice = gateway.invoice_retrieve(
        invoice_id=invoice_id, expand=["payments.data.payment.payment_intent"]
    )
    intent = payment_intent_in(invoice)
    return intent if isinstance(intent, dict) else None


def subscription_client_secret(*, subscription: Subscription) -> str:
    """The client secret Stripe.js needs to finish an incomplete subscription's payment."""
    if subscription.status != SubscriptionStatus.INCOMPLETE or not subscription.latest_invoice_id:
        return ""
    intent = invoice_payment_intent(invoice_id=subscription.latest_invoice_id)
    if intent is not None and intent.get("status") == "requires_action":
        return str(intent.get("client_secret") or "")
    return ""


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "audit" or "stripe"
    title: str
    detail: str
    actor: str
    object_id: str


def reader_timeline(*, user: User, limit: int = 100) -> list[TimelineEntry]:
    """Audit entries and Stripe events for one reader, newest first."""
    from billing.models import AuditLog, StripeEvent

    entries = [
        TimelineEntry(
            at=entry.created_at,
            kind="audit",
            title=entry.action,
            detail=entry.reason,
            actor=entry.get_actor_type_display()
            + (f" ({entry.actor_user.email})" if entry.actor_user_id and entry.actor_user else ""),
            object_id=entry.stripe_object_id,
        )
        for entry in AuditLog.objects.filter(reader=user)
        .select_related("actor_user")
        .order_by("-created_at", "-id")[:limit]
    ]
    entries += [
        TimelineEntry(
            at=event.received_at,
            kind="stripe",
            title=event.type,
            detail=f"{event.status}" + (f": {event.last_error}" if event.last_error else ""),
            actor="Stripe",
            object_id=event.id,
        )
        for event in StripeEvent.objects.filter(reader=user).order_by("-received_at")[:limit]
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
