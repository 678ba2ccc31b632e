"""Two live subscriptions for one reader in Stripe: the newer is cancelled and refunded.

The API never makes a second one (creation.subscription_creation_begin); this is the
defence behind it, run by webhook processing (a second live subscription
cannot be stored: one live row per reader) and by the periodic
reconciliation, which walks Stripe's subscriptions per customer.

Each duplicate is first recorded as an attempt whose key names it (committed
before anything is sent to Stripe, so a run that dies half-way is finished by
the next), then settled under the customer's row lock: cancelled now, every
paid invoice refunded in full (keys naming the duplicate and the invoice),
audited and told to support, all in the transaction that closes the record.
So however many runners find it, it is settled once.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import Actor, audit_record
from billing import gateway
from billing.models import FINAL_STATUSES, LIVE_STATUSES, Customer, StripeAttempt, Subscription
from billing.selectors import payment_intent_in
from billing.services.apply import (
    Audit,
    subscription_apply_stripe,
    subscription_sync_from_stripe,
)
from billing.services.attempts import attempt_named, attempt_run
from billing.services.notifications import format_amount, notification_send_support_once

logger = logging.getLogger(__name__)

OPERATION = "subscription.cancel_duplicate"
NOTICE = "support_duplicate_subscription"


def subscription_is_duplicate(*, stripe_subscription_id: str) -> bool:
    """Whether this subscription was found to be a second live one (cancelled, refunded)."""
    return bool(stripe_subscription_id) and (
        StripeAttempt.objects.filter(
            operation=OPERATION, params__subscription=stripe_subscription_id
        ).exists()
    )


def _live(listed: list[Any]) -> list[Any]:
    return [s for s in listed if s["status"] in LIVE_STATUSES]


def _unfinished(customer: Customer) -> QuerySet[StripeAttempt]:
    return StripeAttempt.objects.filter(
        operation=OPERATION, params__customer=customer.stripe_customer_id
    ).exclude(status=StripeAttempt.Status.SUCCEEDED)


def _lock(customer: Customer) -> None:
    """Serialise settling one customer's duplicates on its row. FOR NO KEY UPDATE: a
    plain FOR UPDATE also blocks the key-share lock that writing a subscription row
    pointing at the customer takes, so a webhook writing one while holding that row
    and the reconciliation holding the customer deadlocked."""
    no_key = connection.features.has_select_for_no_key_update
    locked = Customer.objects.select_for_update(no_key=no_key).filter(pk=customer.pk)
    list(locked.values_list("pk", flat=True))


def subscription_duplicates_resolve(
    *, customer: Customer, origin: str, listed: list[Any] | None = None
) -> list[str]:
    """Keep the reader's first live subscription in Stripe; cancel and refund the others.

    `listed` is the customer's subscriptions as just listed from Stripe (the
    reconciliation has them); otherwise they are listed here. The first is
    the oldest (Stripe's `created`; at the same second, the one stored here,
    then the smaller id). Returns the ids of the duplicates settled by this call.
    """
    if listed is None:
        listed = gateway.subscription_list_for_customer(customer_id=customer.stripe_customer_id)
    if len(_live(listed)) < 2 and not _unfinished(customer).exists():
        return []
    with transaction.atomic():
        _lock(customer)
        # Asked again under the lock: another runner may have settled them meanwhile.
        customer_id = customer.stripe_customer_id
        live = _live(gateway.subscription_list_for_customer(customer_id=customer_id))
        stored = set(
            Subscription.objects.filter(customer=customer, status__in=LIVE_STATUSES).values_list(
                "stripe_subscription_id", flat=True
            )
        )
        live.sort(key=lambda s: (s["created"], s["id"] not in stored, s["id"]))
        for duplicate in live[1:]:
            attempt_named(
                operation=OPERATION,
                user=customer.user,
                name=duplicate["id"],
                params={
                    "customer": customer.stripe_customer_id,
                    "subscription": duplicate["id"],
                    "kept": live[0]["id"],
                },
            )
    settled = []
    for record in _unfinished(customer).order_by("created_at"):
        if _settle(customer=customer, record=record, origin=origin):
            settled.append(record.params["subscription"])
    return settled


def _settle(*, customer: Customer, record: StripeAttempt, origin: str) -> bool:
    duplicate_id = str(record.params["subscription"])
    kept_id = str(record.params["kept"])
    with transaction.atomic():
        _lock(customer)
        record.refresh_from_db()
        if record.status == StripeAttempt.Status.SUCCEEDED:
            return False  # another runner settled it
        remote = gateway.subscription_retrieve(subscription_id=duplicate_id)
        status_before = remote["status"]
        if status_before not in FINAL_STATUSES:
            remote = gateway.subscription_cancel(
                subscription_id=duplicate_id, idempotency_key=record.idempotency_key
            )
        refunds, failures = _refund_paid_invoices(customer=customer, duplicate_id=duplicate_id)
        subscription_apply_stripe(
            stripe_subscription=remote,
            audit=Audit(Actor.SYSTEM, reason=f"duplicate of {kept_id} ({origin})"),
            action="subscription.duplicate_canceled",
        )
        if not Subscription.objects.filter(
            stripe_subscription_id=kept_id, status__in=LIVE_STATUSES
        ).exists():
            subscription_sync_from_stripe(
                stripe_subscription_id=kept_id,
                audit=Audit(Actor.SYSTEM, reason=f"kept over duplicate {duplicate_id} ({origin})"),
            )
        after = {"kept": kept_id, "refunds": refunds, "refund_failures": failures}
        audit_record(
            action="subscription.duplicate_refunded",
            actor_type=Actor.SYSTEM,
            reader=customer.user,
            reason=f"a second live subscription in Stripe, found by {origin}",
            before={"status": status_before},
            after=after,
            stripe_object_id=duplicate_id,
        )
        notification_send_support_once(
            kind=NOTICE,
            key=duplicate_id,
            reader=customer.user,
            context={
                "customer": customer.stripe_customer_id,
                "duplicate": duplicate_id,
                "origin": origin,
                **after,
            },
        )
        StripeAttempt.objects.filter(pk=record.pk).update(
            status=StripeAttempt.Status.SUCCEEDED,
            stripe_object_id=duplicate_id,
            completed_at=timezone.now(),
        )
    return True


def _refund_paid_invoices(
    *, customer: Customer, duplicate_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Refund in full what is left of every paid invoice of the duplicate."""
    refunds: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for invoice in gateway.invoice_list_paid_for_subscription(subscription_id=duplicate_id):
        if not invoice.get("amount_paid"):
            continue  # a trial's $0 invoice
        intent = payment_intent_in(invoice)
        charge = intent.get("latest_charge") if isinstance(intent, dict) else None
        if isinstance(charge, dict) and charge.get("refunded"):
            continue  # refunded already (by an earlier run, or by a person)
        intent_id = intent.get("id") if isinstance(intent, dict) else intent
        attempt = attempt_named(
            operation="refund.create",
            user=customer.user,
            name=f"duplicate:{duplicate_id}:{invoice['id']}",
            params={"invoice": invoice["id"], "duplicate_subscription": duplicate_id},
        )

        def refund_call(
            key: str, intent_id: Any = intent_id, invoice: dict[str, Any] = invoice
        ) -> Any:
            return gateway.refund_create(
                payment_intent_id=str(intent_id),
                reason="duplicate",
                metadata={"invoice": invoice["id"], "duplicate_subscription": duplicate_id},
                idempotency_key=key,
            )

        try:
            refund = attempt_run(attempt=attempt, call=refund_call)
        except gateway.GatewayError as exc:
            if exc.retryable:
                raise  # Stripe unreachable: the whole settlement is tried again
            failures.append({"invoice": invoice["id"], "error": exc.detail})
            continue
        refunds.append(
            {
                "invoice": invoice["id"],
                "refund": refund.get("id"),
                "amount": refund.get("amount"),
                "currency": refund.get("currency"),
                "display": format_amount(refund.get("amount"), str(refund.get("currency") or "")),
            }
        )
    return refunds, failures
