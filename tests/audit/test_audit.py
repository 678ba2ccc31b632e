"""Every action through a service writes exactly one audit entry: who, why, what changed.

Whatever order Stripe's answer and Stripe's webhook arrive in: when the
webhook for the change was processed before the service applied Stripe's
answer, applying changes nothing more, and the action's entry must still be
there, naming the reader or the staff member and their reason, with our row
as it was before the call and as it is after.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client

from audit.models import AuditLog
from billing.models import StripeAttempt, Subscription
from billing.services import (
    Actor,
    Audit,
    customer_ensure,
    payment_method_update,
    subscription_cancel,
    subscription_change_plan,
    subscription_resume,
    subscription_start_trial,
    subscription_subscribe,
    subscription_sync_from_stripe,
)
from billing.services.events import stripe_event_process
from support.services import (
    support_cancel,
    support_extend_trial,
    support_grant,
    support_refund_last_payment,
    support_resume,
    support_resync,
    user_delete_account,
)
from tests.billing.webhooks import deliver
from tests.factories import UserFactory


@dataclass
class World:
    reader: Any
    staff: Any
    stripe: Any
    stripe_sdk: Any
    settings: Any

    def subscription(self) -> Subscription:
        return Subscription.objects.select_related("plan").get(user=self.reader)


def staff_member() -> Any:
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "cancel_subscription",
                "resume_subscription",
                "extend_trial",
                "resync_subscription",
                "refund_payment",
                "grant_access",
            ]
        )
    )
    return type(staff).objects.get(pk=staff.pk)  # fresh: no cached permissions


# --- the state each action starts from ---------------------------------------------


def nothing(world: World) -> None:
    pass


def a_customer(world: World) -> None:
    """A reader known to Stripe already (the customer's creation is audited on its own)."""
    customer_ensure(user=world.reader)


def trialing(world: World) -> None:
    subscription_start_trial(user=world.reader, plan_code="monthly")


def cancelling(world: World) -> None:
    trialing(world)
    subscription_cancel(user=world.reader, at_period_end=True)


def paying(world: World) -> None:
    subscription_subscribe(user=world.reader, plan_code="monthly", payment_method_id="pm_card_visa")


def paused_for_want_of_a_card(world: World) -> None:
    world.settings.TRIAL_END_WITHOUT_CARD = "pause"
    trialing(world)
    sub_id = world.subscription().stripe_subscription_id
    world.stripe_sdk.v1.subscriptions.update(sub_id, params={"trial_end": "now"})
    assert subscription_sync_from_stripe(
        stripe_subscription_id=sub_id, audit=Audit(Actor.STRIPE)
    ).status == ("paused")


def drifted(world: World) -> None:
    """Stripe changed behind our back (a change in Stripe's dashboard, a lost webhook)."""
    trialing(world)
    world.stripe_sdk.v1.subscriptions.update(
        world.subscription().stripe_subscription_id, params={"cancel_at_period_end": True}
    )


# --- the actions --------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    id: str
    setup: Callable[[World], None]
    run: Callable[[World], Any]
    actor: str  # "reader" or "staff"
    entries: tuple[str, ...]  # what the action writes in the audit log, in order
    reason: str
    changed: str = ""  # a field of the subscription the action changes: before != after
    creates: bool = False  # the action creates the subscription
    # Whether the action writes to a Stripe subscription (so a webhook reports it).
    webhook: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


ACTIONS = [
    Action(
        "reader-starts-a-trial",
        a_customer,
        lambda w: subscription_start_trial(
            user=w.reader, plan_code="monthly", payment_method_id="pm_card_visa"
        ),
        "reader",
        ("trial.claimed",),
        "",
        changed="status",
        creates=True,
    ),
    Action(
        "reader-subscribes",
        a_customer,
        lambda w: subscription_subscribe(
            user=w.reader, plan_code="monthly", payment_method_id="pm_card_visa"
        ),
        "reader",
        ("subscription.subscribed",),
        "",
        changed="status",
        creates=True,
    ),
    Action(
        "reader-cancels-at-period-end",
        trialing,
        lambda w: subscription_cancel(
            user=w.reader,
            at_period_end=True,
            audit=Audit(Actor.READER, user=w.reader, reason="too expensive"),
        ),
        "reader",
        ("subscription.cancel_requested",),
        "too expensive",
        changed="cancel_at_period_end",
    ),
    Action(
        "reader-cancels-now",
        trialing,
        lambda w: subscription_cancel(
            user=w.reader,
            at_period_end=False,
            audit=Audit(Actor.READER, user=w.reader, reason="moving abroad"),
        ),
        "reader",
        ("subscription.canceled",),
        "moving abroad",
        changed="status",
    ),
    Action(
        "reader-resumes",
        cancelling,
        lambda w: subscription_resume(
            user=w.reader, audit=Audit(Actor.READER, user=w.reader, reason="changed my mind")
        ),
        "reader",
        ("subscription.cancel_undone",),
        "changed my mind",
        changed="cancel_at_period_end",
    ),
    Action(
        "reader-changes-plan",
        trialing,
        lambda w: subscription_change_plan(
            user=w.reader,
            plan_code="yearly",
            audit=Audit(Actor.READER, user=w.reader, reason="cheaper"),
        ),
        "reader",
        ("subscription.plan_changed",),
        "cheaper",
        changed="plan",
    ),
    Action(
        "reader-changes-card",
        trialing,
        lambda w: payment_method_update(
            user=w.reader,
            payment_method_id="pm_card_visa",
            audit=Audit(Actor.READER, user=w.reader, reason="new card"),
        ),
        "reader",
        ("payment_method.updated",),
        "new card",
        changed="default_payment_method",
    ),
    Action(
        "reader-adds-a-card-to-a-paused-subscription",
        paused_for_want_of_a_card,
        lambda w: payment_method_update(
            user=w.reader,
            payment_method_id="pm_card_visa",
            audit=Audit(Actor.READER, user=w.reader, reason="keep reading"),
        ),
        "reader",
        ("payment_method.updated",),
        "keep reading",
        changed="status",
    ),
    Action(
        "reader-leaves",
        trialing,
        lambda w: user_delete_account(user=w.reader),
        "reader",
        ("subscription.canceled", "account.deleted"),
        "account deleted",
        changed="status",
    ),
    Action(
        "staff-extends-the-trial",
        trialing,
        lambda w: support_extend_trial(
            staff=w.staff, reader=w.reader, days=7, reason="apology for the outage"
        ),
        "staff",
        ("subscription.trial_extended",),
        "+7 days: apology for the outage",
        changed="trial_end",
    ),
    Action(
        "staff-cancels-at-period-end",
        trialing,
        lambda w: support_cancel(
            staff=w.staff, reader=w.reader, at_period_end=True, reason="reader phoned"
        ),
        "staff",
        ("subscription.cancel_requested",),
        "reader phoned",
        changed="cancel_at_period_end",
    ),
    Action(
        "staff-cancels-now",
        trialing,
        lambda w: support_cancel(
            staff=w.staff, reader=w.reader, at_period_end=False, reason="fraud"
        ),
        "staff",
        ("subscription.canceled",),
        "fraud",
        changed="status",
    ),
    Action(
        "staff-resumes",
        cancelling,
        lambda w: support_resume(staff=w.staff, reader=w.reader, reason="reader phoned back"),
        "staff",
        ("subscription.cancel_undone",),
        "reader phoned back",
        changed="cancel_at_period_end",
    ),
    Action(
        "staff-resyncs",
        drifted,
        lambda w: support_resync(staff=w.staff, reader=w.reader, reason="reader says cancelled"),
        "staff",
        ("billing.resynced",),
        "reader says cancelled",
        changed="subscriptions",
        webhook=False,
    ),
    Action(
        "staff-refunds",
        paying,
        lambda w: support_refund_last_payment(
            staff=w.staff, reader=w.reader, reason="charged twice"
        ),
        "staff",
        ("payment.refunded",),
        "charged twice",
        webhook=False,
    ),
    Action(
        "staff-grants",
        nothing,
        lambda w: support_grant(staff=w.staff, reader=w.reader, days=10, reason="press pass"),
        "staff",
        ("entitlement.grant_created",),
        "press pass",
        webhook=False,
    ),
]


@pytest.fixture
def world(plans, reader, stripe, stripe_sdk, settings) -> World:
    return World(
        reader=reader, staff=staff_member(), stripe=stripe, stripe_sdk=stripe_sdk, settings=settings
    )


def last_entry_id() -> int:
    return AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def assert_the_actions_entries(action: Action, world: World, since: int) -> None:
    actor = world.reader if action.actor == "reader" else world.staff
    world.reader.refresh_from_db()
    entries = list(
        AuditLog.objects.filter(pk__gt=since, actor_type=action.actor, actor_user=actor).order_by(
            "id"
        )
    )
    assert tuple(e.action for e in entries) == action.entries, [
        (e.action, e.reason) for e in entries
    ]
    entry = entries[0]
    assert entry.reason == action.reason
    assert entry.reader == world.reader
    if action.creates:
        assert entry.before is None
        assert entry.after["status"] in ("trialing", "active")
    elif action.changed:
        assert entry.before[action.changed] != entry.after[action.changed], (
            entry.before,
            entry.after,
        )


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS, ids=[a.id for a in ACTIONS])
def test_an_action_writes_one_entry_naming_who_and_why(action, world):
    action.setup(world)
    since = last_entry_id()

    action.run(world)

    assert_the_actions_entries(action, world, since)


# --- the webhook first ---------------------------------------------------------


def newest_subscription_event(world: World) -> dict[str, Any]:
    """The newest customer.subscription.* event for the reader, as Stripe sends it."""
    customer_id = world.reader.billing_customer.stripe_customer_id
    events = world.stripe_sdk.v1.events.list(
        params={"type": "customer.subscription.*", "limit": 100}
    ).data
    for event in (e.to_dict() for e in events):  # newest first
        obj = event["data"]["object"]
        if event["type"].startswith("customer.subscription.") and obj["customer"] == customer_id:
            return event
    raise AssertionError("Stripe sent no subscription event for the reader")


def blocked_by_me() -> int:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps its first look at pg_stat_activity: look again.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        return int(cursor.fetchone()[0])


def webhook_first(
    world: World, *, run: Callable[[], Any], lock: Callable[[], Any], lock_after_start: bool
) -> None:
    """Run the action in a thread while this test holds `lock`, which the action takes
    only once it has Stripe's answer. While the action waits for it, Stripe's webhook
    for the change is delivered (signed) and processed here; then the action goes on."""
    failures: list[BaseException] = []

    def action() -> None:
        try:
            run()
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=action)
    with transaction.atomic():
        if lock_after_start:
            thread.start()
            lock()
        else:
            lock()
            thread.start()
        deadline = time.monotonic() + 60
        while not blocked_by_me():
            assert thread.is_alive(), f"the action never waited for its apply: {failures}"
            assert time.monotonic() < deadline, "the action never reached its apply"
            time.sleep(0.02)
        event = newest_subscription_event(world)
        assert deliver(Client(), json.dumps(event, default=str).encode()).status_code == 200
        assert stripe_event_process(event_id=event["id"]) == "processed"
    thread.join(timeout=60)
    assert not thread.is_alive()
    if failures:
        raise failures[0]


def held_creation(world: World) -> StripeAttempt:
    """The creation attempt, once the action has taken it up (and committed that)."""
    deadline = time.monotonic() + 30
    while True:
        found = StripeAttempt.objects.filter(
            operation="subscription.create", user=world.reader, status="pending", holders__gt=0
        ).first()
        if found is not None:
            return StripeAttempt.objects.select_for_update().get(pk=found.pk)
        assert time.monotonic() < deadline, "the action never took up its creation attempt"
        time.sleep(0.01)


MIRRORED = ("status", "cancel_at_period_end", "plan", "trial_end")
WEBHOOK_ACTIONS = [a for a in ACTIONS if a.webhook]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", WEBHOOK_ACTIONS, ids=[a.id for a in WEBHOOK_ACTIONS])
def test_an_action_writes_its_entry_when_the_webhook_was_applied_first(action, world):
    action.setup(world)
    if action.creates:
        # The action takes up its creation attempt, then waits at Stripe: meanwhile this
        # test holds the attempt, which the action updates once Stripe has answered.
        world.stripe.fault("delay", count=1, path="/v1/subscriptions", delay_ms=3000)

        def lock() -> Any:
            return held_creation(world)
    else:
        sub_id = world.subscription().stripe_subscription_id

        def lock() -> Any:
            return Subscription.objects.select_for_update().get(stripe_subscription_id=sub_id)

    since = last_entry_id()

    webhook_first(world, run=lambda: action.run(world), lock=lock, lock_after_start=action.creates)

    if action.changed in MIRRORED:
        # The webhook applied the change first, in Stripe's name...
        assert AuditLog.objects.filter(pk__gt=since, actor_type="stripe").exists()
    # ...and the action still wrote its own entry, once.
    assert_the_actions_entries(action, world, since)
