"""Stripe webhook events, processed by a Celery task (stored by webhooks.py).

Processing claims the row, dispatches through an explicit table, and never
trusts the event's copy of an object: the current object is re-read from
Stripe (under the local row's lock) and applied, so a late or reordered
event cannot overwrite newer state (docs/architecture.md, "Sources of truth").
This module never imports the tasks: the task calls it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.services import Actor, audit_record
from billing import gateway
from billing.gateway import from_unix
from billing.models import FINAL_STATUSES, Customer, StripeEvent, Subscription, SubscriptionStatus
from billing.selectors import invoice_amounts, subscription_price
from billing.services.apply import Audit, subscription_sync_from_stripe
from billing.services.duplicates import (
    subscription_duplicates_resolve,
    subscription_is_duplicate,
)
from billing.services.notifications import format_amount, notification_send_once, reader_country
from billing.services.pause import pause_notify_started
from billing.services.tax import customer_tax_location_sync

logger = logging.getLogger(__name__)

Status = StripeEvent.Status


class UnknownCustomer(Exception):
    """The event concerns a Stripe customer that is not one of our readers."""


def _claim(event_id: str) -> StripeEvent | None:
    """Mark the event processing (one worker at a time); None if there is nothing to do."""
    stale = timezone.now() - timedelta(seconds=settings.STRIPE_EVENT_STUCK_SECONDS)
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().filter(id=event_id).first()
        if event is None or event.status in (Status.PROCESSED, Status.IGNORED):
            return None
        if (
            event.status == Status.PROCESSING
            and event.processing_started_at
            and event.processing_started_at > stale
        ):
            return None  # another worker has it
        event.status = Status.PROCESSING
        event.attempts += 1
        event.processing_started_at = timezone.now()
        event.save(update_fields=["status", "attempts", "processing_started_at"])
        return event


def _finish(event: StripeEvent, status: str, error: str = "") -> None:
    StripeEvent.objects.filter(id=event.id).update(
        status=status,
        last_error=error[:2000],
        processed_at=timezone.now() if status in (Status.PROCESSED, Status.IGNORED) else None,
        reader=event.reader,
    )


def stripe_event_process(*, event_id: str) -> str:
    """Process one stored event; returns its final status.

    Gateway errors (Stripe unreachable) leave the event failed and propagate,
    so the task retries with back-off; other errors mark it failed, logged
    with the event id, for the requeue job or a person to retry.
    """
    event = _claim(event_id)
    if event is None:
        return (
            StripeEvent.objects.filter(id=event_id).values_list("status", flat=True).first() or ""
        )
    handler = HANDLERS.get(event.type)
    if handler is None:
        logger.info("stripe event %s of type %s is not handled", event.id, event.type)
        _finish(event, Status.IGNORED, "not handled")
        return Status.IGNORED
    try:
        handler(event)
    except UnknownCustomer as exc:
        logger.info("stripe event %s ignored: %s", event.id, exc)
        _finish(event, Status.IGNORED, str(exc))
        return Status.IGNORED
    except gateway.GatewayError as exc:
        _finish(event, Status.FAILED, f"{type(exc).__name__}: {exc.detail}")
        raise
    except Exception as exc:  # a bug or bad data: recorded, left for a person or the requeue
        logger.exception("stripe event %s (%s) failed", event.id, event.type)
        _finish(event, Status.FAILED, f"{type(exc).__name__}: {exc}")
        return Status.FAILED
    _finish(event, Status.PROCESSED)
    return Status.PROCESSED


# --- handlers -----------------------------------------------------------------


def _object(event: StripeEvent) -> dict[str, Any]:
    obj: dict[str, Any] = event.payload["data"]["object"]
    return obj


def _event_customer(event: StripeEvent, customer_id: str | None) -> Customer:
    """Our customer with this Stripe id, now the event's reader; UnknownCustomer if none."""
    customer = Customer.objects.filter(stripe_customer_id=customer_id).first()
    if customer is None:
        raise UnknownCustomer(f"customer {customer_id} is not one of ours")
    event.reader = customer.user
    return customer


def _sync_subscription(
    event: StripeEvent, subscription_id: str, customer_id: str | None = None
) -> Subscription:
    if not subscription_id:
        raise UnknownCustomer("no subscription in the event")
    customer_id = customer_id or _object(event).get("customer")
    known = Subscription.objects.filter(stripe_subscription_id=subscription_id).exists()
    if not known and not Customer.objects.filter(stripe_customer_id=customer_id).exists():
        raise UnknownCustomer(f"customer {customer_id} is not one of ours")

    def sync() -> Subscription:
        return subscription_sync_from_stripe(
            stripe_subscription_id=subscription_id,
            audit=Audit(Actor.STRIPE, reason=event.audit_reason),
            action=f"stripe.{event.type}",
        )

    try:
        subscription = sync()
    except IntegrityError:
        # One live subscription per reader is stored: Stripe holds a second one.
        # Settled here, or by a concurrent runner: either way, it is stored ended now.
        customer = Customer.objects.filter(stripe_customer_id=customer_id).first()
        if customer is None:
            raise
        subscription_duplicates_resolve(customer=customer, origin=event.audit_reason)
        subscription = sync()
    event.reader = subscription.user
    return subscription


def on_subscription_changed(event: StripeEvent) -> None:
    subscription = _sync_subscription(event, _object(event)["id"])
    # A pause made anywhere (our API, a save offer, Stripe's dashboard): its mail, once.
    pause_notify_started(subscription=subscription, stripe_event=event)


def on_trial_will_end(event: StripeEvent) -> None:
    subscription = _sync_subscription(event, _object(event)["id"])
    if subscription.cancel_at_period_end or subscription.status != SubscriptionStatus.TRIALING:
        return  # readers who cancelled get no reminder
    plan = subscription.plan
    amount, currency = subscription_price(subscription=subscription) or (
        plan.amount,
        plan.currency,
    )
    has_card = bool(
        subscription.default_payment_method_id or subscription.customer.default_payment_method_id
    )
    notification_send_once(
        kind="trial_will_end",
        key=f"{subscription.stripe_subscription_id}:{subscription.trial_end:%Y%m%d%H%M%S}",
        user=subscription.user,
        stripe_event=event,
        context={
            "trial_end": subscription.trial_end,
            "plan_name": plan.name,
            "amount": (
                format_amount(amount, currency, country=subscription.customer.country)
                if has_card
                else ""
            ),
            "currency": currency,
            "interval": plan.interval,
        },
    )


def _invoice_subscription_id(invoice: dict[str, Any]) -> str:
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    sub = details.get("subscription") or invoice.get("subscription") or ""
    return sub if isinstance(sub, str) else str(sub.get("id") or "")


def _invoice_event(event: StripeEvent) -> tuple[dict[str, Any], User | None]:
    """The invoice as Stripe has it now, and the reader it is for."""
    invoice = gateway.invoice_retrieve(invoice_id=_object(event)["id"])
    subscription_id = _invoice_subscription_id(invoice)
    if subscription_id:
        subscription = _sync_subscription(event, subscription_id, invoice.get("customer"))
        return invoice, subscription.user
    customer = _event_customer(event, invoice.get("customer"))
    return invoice, customer.user


def _notify_invoice(
    event: StripeEvent, *, kind: str, amount_field: str, skip_status: str, **context: Any
) -> None:
    """One mail of this kind about the invoice (as Stripe has it now), unless it is moot."""
    invoice, user = _invoice_event(event)
    if invoice.get("status") == skip_status or not invoice.get(amount_field):
        return  # paid since (a failure is old news), or nothing was owed (the trial's $0)
    if subscription_is_duplicate(stripe_subscription_id=_invoice_subscription_id(invoice)):
        return  # a duplicate's invoice, refunded: support speaks to the reader
    currency = invoice.get("currency", "")
    country = reader_country(user)
    amounts = invoice_amounts(invoice)
    notification_send_once(
        kind=kind,
        key=invoice["id"],
        user=user,
        stripe_event=event,
        context={
            "amount": format_amount(invoice.get(amount_field), currency, country=country),
            "currency": currency,
            # Net, tax and total (the receipt shows them when there is tax).
            **{
                name: format_amount(amounts[name], currency, country=country)
                for name in ("subtotal", "total")
            },
            "tax": format_amount(amounts["tax"], currency, country=country)
            if amounts["tax"]
            else "",
            "reverse_charge": amounts["reverse_charge"],
            "number": invoice.get("number"),
            "period_end": from_unix(_line_period_end(invoice)),
            "invoice_url": invoice.get("hosted_invoice_url"),
            "next_attempt": from_unix(invoice.get("next_payment_attempt")),
            **context,
        },
    )


def _line_period_end(invoice: dict[str, Any]) -> Any:
    lines = (invoice.get("lines") or {}).get("data") or []
    if lines and isinstance(lines[0].get("period"), dict):
        return lines[0]["period"].get("end")
    return invoice.get("period_end")


def on_invoice_paid(event: StripeEvent) -> None:
    _notify_invoice(event, kind="receipt", amount_field="amount_paid", skip_status="")


def on_invoice_payment_failed(event: StripeEvent) -> None:
    _notify_invoice(
        event,
        kind="payment_failed",
        amount_field="amount_due",
        skip_status="paid",
        update_card_url=settings.BILLING_UPDATE_CARD_URL,
    )


def on_invoice_payment_action_required(event: StripeEvent) -> None:
    _notify_invoice(
        event,
        kind="payment_action_required",
        amount_field="amount_due",
        skip_status="paid",
        update_card_url=settings.BILLING_UPDATE_CARD_URL,  # if Stripe gives no invoice page
    )


def on_customer_deleted(event: StripeEvent) -> None:
    customer_id = _object(event)["id"]
    customer = _event_customer(event, customer_id)
    if customer.deleted_at is None:
        customer.deleted_at = timezone.now()
        customer.save(update_fields=["deleted_at"])
        audit_record(
            action="stripe.customer.deleted",
            actor_type=Actor.STRIPE,
            reader=customer.user,
            reason=event.audit_reason,
            stripe_object_id=customer_id,
        )
    for subscription in Subscription.objects.filter(customer=customer).exclude(
        status__in=FINAL_STATUSES
    ):
        subscription_sync_from_stripe(
            stripe_subscription_id=subscription.stripe_subscription_id,
            audit=Audit(Actor.STRIPE, reason=event.audit_reason),
            action="stripe.customer.deleted",
        )


def on_customer_updated(event: StripeEvent) -> None:
    """Where the reader is for tax (their address), re-read from Stripe and mirrored."""
    customer_tax_location_sync(customer=_event_customer(event, _object(event)["id"]))


HANDLERS: dict[str, Callable[[StripeEvent], None]] = {
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_changed,
    "customer.subscription.paused": on_subscription_changed,
    "customer.subscription.resumed": on_subscription_changed,
    "customer.subscription.trial_will_end": on_trial_will_end,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "invoice.payment_action_required": on_invoice_payment_action_required,
    "customer.deleted": on_customer_deleted,
    "customer.updated": on_customer_updated,
}
