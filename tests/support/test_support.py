"""Support actions: through Stripe first, permission-checked, with a reason, audited as staff."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from audit.models import AuditLog
from billing.models import Subscription
from config.errors import ApplicationError
from support.services import (
    support_cancel,
    support_extend_trial,
    support_refund_last_payment,
    support_resume,
    support_resync,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def staff_with(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return type(user).objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def trial(plans, reader, reader_client):
    body = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    return Subscription.objects.get(stripe_subscription_id=body["id"])


def test_extending_a_trial_moves_stripes_trial_end_and_ours(trial, reader, stripe_sdk):
    staff = staff_with("extend_trial")
    before = trial.trial_end

    after = support_extend_trial(staff=staff, reader=reader, days=7, reason="apology for outage")

    assert after.trial_end == before + timedelta(days=7)
    remote = stripe_sdk.v1.subscriptions.retrieve(trial.stripe_subscription_id)
    assert remote.trial_end == int((before + timedelta(days=7)).timestamp())
    assert remote.status == "trialing"
    entry = AuditLog.objects.get(action="subscription.trial_extended")
    assert (entry.actor_type, entry.actor_user) == ("staff", staff)
    assert entry.reason == "+7 days: apology for outage"
    assert entry.before["trial_end"] != entry.after["trial_end"]


def test_more_than_thirty_days_needs_the_lead_permission(trial, reader):
    support = staff_with("extend_trial")
    lead = staff_with("extend_trial", "extend_trial_long")

    with pytest.raises(PermissionDenied):
        support_extend_trial(staff=support, reader=reader, days=31, reason="goodwill")
    support_extend_trial(staff=lead, reader=reader, days=60, reason="goodwill")

    trial.refresh_from_db()
    assert trial.trial_end - trial.trial_start == timedelta(days=90)


def test_staff_without_the_permission_can_do_nothing(trial, reader):
    nobody = staff_with()

    for action in (
        lambda: support_extend_trial(staff=nobody, reader=reader, days=1, reason="x"),
        lambda: support_cancel(staff=nobody, reader=reader, at_period_end=True, reason="x"),
        lambda: support_resume(staff=nobody, reader=reader, reason="x"),
        lambda: support_resync(staff=nobody, reader=reader),
        lambda: support_refund_last_payment(staff=nobody, reader=reader, reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            action()
    assert not AuditLog.objects.filter(actor_type="staff").exists()


def test_a_reason_is_required(trial, reader):
    with pytest.raises(ApplicationError, match="reason"):
        support_extend_trial(staff=staff_with("extend_trial"), reader=reader, days=3, reason=" ")


def test_extending_without_a_running_trial_is_refused(plans, reader):
    with pytest.raises(ApplicationError) as refused:
        support_extend_trial(staff=staff_with("extend_trial"), reader=reader, days=3, reason="x")
    assert refused.value.code == "no_trial"


def test_cancel_and_resume_by_staff_are_audited_with_the_staff_member(trial, reader):
    staff = staff_with("cancel_subscription", "resume_subscription")

    support_cancel(staff=staff, reader=reader, at_period_end=True, reason="reader phoned")
    support_resume(staff=staff, reader=reader, reason="reader changed their mind")

    trial.refresh_from_db()
    assert trial.cancel_at_period_end is False
    actions = list(
        AuditLog.objects.filter(actor_user=staff).order_by("id").values_list("action", "reason")
    )
    assert actions == [
        ("subscription.cancel_requested", "reader phoned"),
        ("subscription.cancel_undone", "reader changed their mind"),
    ]


def test_resync_repairs_drift_from_stripe(trial, reader, stripe_sdk):
    stripe_sdk.v1.subscriptions.update(
        trial.stripe_subscription_id, params={"cancel_at_period_end": True}
    )

    [synced] = support_resync(staff=staff_with("resync_subscription"), reader=reader, reason="call")

    assert synced.cancel_at_period_end is True
    entry = AuditLog.objects.get(action="billing.resynced", actor_type="staff")
    assert entry.reason == "call"
    sub_id = trial.stripe_subscription_id
    assert entry.before["subscriptions"][sub_id]["cancel_at_period_end"] is False
    assert entry.after["subscriptions"][sub_id]["cancel_at_period_end"] is True


def test_refund_returns_the_last_payment_in_stripe(plans, reader, reader_client, stripe_sdk):
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
    )

    refund = support_refund_last_payment(
        staff=staff_with("refund_payment"), reader=reader, reason="charged by mistake"
    )

    assert refund["amount"] == 999
    assert refund["status"] == "succeeded"
    assert stripe_sdk.v1.refunds.retrieve(refund["id"]).amount == 999
    entry = AuditLog.objects.get(action="payment.refunded")
    assert entry.after["amount"] == 999


def test_refunding_twice_is_refused_by_stripe_and_changes_nothing(plans, reader, reader_client):
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
    )
    staff = staff_with("refund_payment")
    support_refund_last_payment(staff=staff, reader=reader, reason="mistake")

    with pytest.raises(ApplicationError) as refused:
        support_refund_last_payment(staff=staff, reader=reader, reason="again")

    assert refused.value.status_code in (400, 409)
    assert AuditLog.objects.filter(action="payment.refunded").count() == 1


def test_a_trial_reader_has_nothing_to_refund(trial, reader):
    with pytest.raises(ApplicationError) as refused:
        support_refund_last_payment(staff=staff_with("refund_payment"), reader=reader, reason="x")
    assert refused.value.code == "nothing_to_refund"
