"""The reader's history as support reads it: the timeline of audit entries and Stripe
events, and why a subscription ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q

from accounts.models import User
from billing import gateway
from billing.models import Customer, Subscription, SubscriptionStatus
from billing.selectors.invoices import payment_intent_in

# What became of a Stripe event, as support reads it.
EVENT_OUTCOMES = {
    "received": "pending",
    "processing": "pending",
    "processed": "processed",
    "failed": "failed",
    "ignored": "skipped",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "audit" or "stripe"
    title: str
    actor: str
    # Stripe events: pending, processed, failed or skipped; audit entries: "".
    outcome: str
    # The error of a failed event, why one was skipped, what processing changed,
    # or an audit entry's reason.
    detail: str
    object_id: str
    event_id: str = ""
    audit_id: int | None = None


def _snapshot_value(value: Any) -> str:
    """One value of an audit snapshot as support reads it (times in UTC, to the minute)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def audit_changes(*, before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """What an audit entry changed, in one line: "status: trialing → active; ..."."""
    if not after:
        return ""
    if before is None:
        return "created" + (f" ({after['status']})" if after.get("status") else "")
    return "; ".join(
        f"{name}: {_snapshot_value(before.get(name))} → {_snapshot_value(value)}"
        for name, value in after.items()
        if before.get(name) != value
    )


def _reader_stripe_ids(user: User) -> list[str]:
    """The Stripe objects of a reader that events name: customer, subscriptions, invoices."""
    ids = list(Customer.objects.filter(user=user).values_list("stripe_customer_id", flat=True))
    for sub_id, invoice_id in Subscription.objects.filter(user=user).values_list(
        "stripe_subscription_id", "latest_invoice_id"
    ):
        ids += [sub_id, invoice_id] if invoice_id else [sub_id]
    return ids


def reader_timeline(*, user: User, limit: int = 100) -> list[TimelineEntry]:
    """Audit entries and Stripe events for one reader, newest first, one row per event.

    An event is the reader's once processing names them, or when it is about one
    of their Stripe objects (so a pending or failed event shows too). What
    processing an event changed (the audit entries it wrote) is shown on the
    event's own row, with its outcome, not as rows of their own.
    """
    from audit.models import AuditLog
    from billing.models import StripeEvent

    events = list(
        StripeEvent.objects.filter(Q(reader=user) | Q(object_id__in=_reader_stripe_ids(user)))
        .only("id", "type", "status", "last_error", "received_at", "object_id")
        .order_by("-received_at")[:limit]
    )
    audits = list(
        AuditLog.objects.filter(reader=user)
        .select_related("actor_user")
        .order_by("-created_at", "-id")[:limit]
    )
    by_reason = {event.audit_reason: event for event in events}
    effects: dict[str, list[str]] = {}
    entries = []
    for entry in audits:
        event = by_reason.get(entry.reason) if entry.actor_type == AuditLog.Actor.STRIPE else None
        if event is not None:
            change = audit_changes(before=entry.before, after=entry.after)
            effects.setdefault(event.id, []).append(change or entry.action)
            continue
        entries.append(
            TimelineEntry(
                at=entry.created_at,
                kind="audit",
                title=entry.action,
                actor=entry.get_actor_type_display()
                + (f" ({entry.actor_user.email})" if entry.actor_user else ""),
                outcome="",
                detail=entry.reason,
                object_id=entry.stripe_object_id,
                audit_id=entry.pk,
            )
        )
    for event in events:
        # A failed event shows its error, a skipped one why; then whatever it changed.
        detail = "; ".join(
            part for part in (event.last_error, *reversed(effects.get(event.id, []))) if part
        )
        entries.append(
            TimelineEntry(
                at=event.received_at,
                kind="stripe",
                title=event.type,
                actor="Stripe",
                outcome=EVENT_OUTCOMES.get(event.status, event.status),
                detail=detail,
                object_id=event.object_id,
                event_id=event.id,
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


@dataclass(frozen=True)
class SubscriptionEnding:
    """Why a subscription ended, as support needs to tell the reader."""

    # "reader", "support", "dunning", "expired" or "stripe" (ended in Stripe otherwise)
    cause: str
    summary: str
    by: str = ""  # who asked: the reader's or staff member's email
    reason: str = ""  # the reason they gave, or Stripe's decline message
    at: datetime | None = None


# Audit actions of a request to end a subscription, and of withdrawing one.
END_REQUESTS = ("subscription.cancel_requested", "subscription.canceled")
END_WITHDRAWN = ("subscription.cancel_undone", "subscription.resumed")


def _end_request(subscription: Subscription) -> Any:
    """The reader's or staff's request that ended the subscription, if one did."""
    from audit.models import AuditLog

    entries = AuditLog.objects.filter(
        stripe_object_id=subscription.stripe_subscription_id,
        action__in=END_REQUESTS + END_WITHDRAWN,
        actor_type__in=(AuditLog.Actor.READER, AuditLog.Actor.STAFF),
    ).select_related("actor_user")
    latest = entries.order_by("-created_at", "-id").first()
    return latest if latest is not None and latest.action in END_REQUESTS else None


def _stripe_cancellation(subscription: Subscription) -> dict[str, Any]:
    """Stripe's cancellation_details, from the newest stored event about the subscription."""
    from billing.models import StripeEvent

    events = StripeEvent.objects.filter(
        object_id=subscription.stripe_subscription_id, type__startswith="customer.subscription."
    ).order_by("-stripe_created", "-received_at")
    for payload in events.values_list("payload", flat=True)[:20]:
        obj = (payload.get("data") or {}).get("object") or {}
        if obj.get("status") == subscription.status:
            return obj.get("cancellation_details") or {}
    return {}


def _decline_text(message: Any, code: Any) -> str:
    return f"{message} ({code})" if message and code else str(message or "")


def _payment_error(intent: dict[str, Any]) -> str:
    error = intent.get("last_payment_error") or {}
    return _decline_text(error.get("message"), error.get("decline_code") or error.get("code"))


def _last_failed_invoice(subscription: Subscription) -> dict[str, Any] | None:
    """The subscription's newest invoice.payment_failed, as the stored event carries it."""
    from billing.models import StripeEvent

    failures = StripeEvent.objects.filter(type="invoice.payment_failed").order_by(
        "-stripe_created", "-received_at"
    )
    if subscription.user_id:
        failures = failures.filter(reader_id=subscription.user_id)
    for payload in failures.values_list("payload", flat=True)[:50]:
        invoice = (payload.get("data") or {}).get("object") or {}
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        if details.get("subscription") == subscription.stripe_subscription_id:
            return invoice
    return None


def _last_decline(subscription: Subscription) -> tuple[str, int]:
    """The decline message of the subscription's last failed invoice payment, and how many
    attempts had failed.

    Read from the stored events when Stripe sent them (invoice.payment_failed,
    then payment_intent.payment_failed or charge.failed for the message); what
    they do not say is read from the invoice in Stripe, its payment intent
    expanded. Stripe unreachable: the message is left out, the page still shows.
    """
    from billing.models import StripeEvent

    invoice = _last_failed_invoice(subscription)
    invoice_id = (invoice or {}).get("id") or subscription.latest_invoice_id
    intent = payment_intent_in(invoice) if invoice else None
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    if intent_id:
        stored = StripeEvent.objects.order_by("-stripe_created", "-received_at")
        failed = stored.filter(type="payment_intent.payment_failed", object_id=intent_id).first()
        if failed is not None:
            attempts = int((invoice or {}).get("attempt_count") or 0)
            return _payment_error(failed.payload["data"]["object"]), attempts
        charge = stored.filter(
            type="charge.failed", payload__data__object__payment_intent=intent_id
        ).first()
        if charge is not None:
            obj = charge.payload["data"]["object"]
            attempts = int((invoice or {}).get("attempt_count") or 0)
            return _decline_text(obj.get("failure_message"), obj.get("failure_code")), attempts
    if not invoice_id:
        return "", 0
    try:
        remote = gateway.invoice_retrieve(
            invoice_id=invoice_id, expand=["payments.data.payment.payment_intent"]
        )
    except gateway.GatewayError:
        return "", int((invoice or {}).get("attempt_count") or 0)
    found = payment_intent_in(remote)
    message = _payment_error(found) if isinstance(found, dict) else ""
    return message, int(remote.get("attempt_count") or 0)


def subscription_ending(*, subscription: Subscription) -> SubscriptionEnding | None:
    """Why an ended subscription ended; None while it has not.

    Stripe's cancellation_details say whether Stripe ended it for failed
    payments; our audit entries say who asked for the end (the reader, or a
    staff member) and why; the stored payment failure events give the decline.
    """
    from audit.models import AuditLog

    if subscription.status == SubscriptionStatus.INCOMPLETE_EXPIRED:
        return SubscriptionEnding(
            cause="expired",
            summary="Expired: the first payment was never completed (Stripe gives up after 23 "
            "hours).",
            at=subscription.ended_at,
        )
    if subscription.status != SubscriptionStatus.CANCELED:
        return None
    stripe_reason = _stripe_cancellation(subscription).get("reason") or ""
    if stripe_reason == "payment_failed":
        decline, attempts = _last_decline(subscription)
        tries = f" after {attempts} failed attempts" if attempts > 1 else ""
        return SubscriptionEnding(
            cause="dunning",
            summary=f"Canceled by Stripe{tries}: the renewal could not be charged.",
            reason=decline or "The decline message is not known: Stripe could not be reached.",
            at=subscription.ended_at,
        )
    request = _end_request(subscription)
    if request is not None:
        staff = request.actor_type == AuditLog.Actor.STAFF
        who = request.actor_user.email if request.actor_user else ""
        when = "at the period end" if request.action == "subscription.cancel_requested" else "now"
        return SubscriptionEnding(
            cause="support" if staff else "reader",
            summary=f"Canceled by {'support' if staff else 'the reader'} ({when}).",
            by=who,
            reason=request.reason,
            at=request.created_at,
        )
    if stripe_reason == "payment_disputed":
        summary = "Canceled by Stripe: a payment was disputed."
    elif stripe_reason == "cancellation_requested":
        summary = "Canceled in Stripe (the Dashboard or another client), not through this service."
    elif subscription.trial_end and subscription.ended_at == subscription.trial_end:
        summary = "Ended by Stripe at the trial's end: there was no card to charge."
    else:
        summary = "Ended in Stripe; no reason recorded."
    return SubscriptionEnding(
        cause="stripe", summary=summary, reason=stripe_reason, at=subscription.ended_at
    )
