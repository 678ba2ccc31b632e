"""The reader page in admin: find a reader, see their billing, act with a reason, by role."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from billing.models import AuditLog, Subscription
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def member_of(*groups):
    user = UserFactory(is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def trial(plans, reader, reader_client):
    body = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    return Subscription.objects.get(stripe_subscription_id=body["id"])


@pytest.fixture
def support_client(client):
    client.force_login(member_of("support"))
    return client


def action_url(reader, slug):
    return f"/admin/accounts/user/{reader.pk}/billing/{slug}/"


def test_the_roles_exist_as_groups():
    support = set(Group.objects.get(name="support").permissions.values_list("codename", flat=True))
    lead = set(
        Group.objects.get(name="support-lead").permissions.values_list("codename", flat=True)
    )

    assert {"view_user", "view_subscription", "extend_trial", "cancel_subscription"} <= support
    assert "refund_payment" not in support
    assert "extend_trial_long" not in support
    assert support | {"refund_payment", "extend_trial_long"} == lead


@pytest.mark.parametrize(
    "term",
    [
        "READER@exa",
        "reader",
        lambda t: t.customer.stripe_customer_id,
        lambda t: t.stripe_subscription_id,
    ],
)
def test_a_reader_is_found_by_partial_email_or_stripe_ids(support_client, trial, term):
    UserFactory(email="someone.else@example.org")
    query = term(trial) if callable(term) else term

    response = support_client.get("/admin/accounts/user/", {"q": query})

    assert response.status_code == 200
    assert b"reader@example.com" in response.content
    assert b"someone.else@example.org" not in response.content


def test_the_reader_page_shows_subscriptions_trial_and_timeline(support_client, trial, reader):
    response = support_client.get(f"/admin/accounts/user/{reader.pk}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    assert trial.stripe_subscription_id in page
    assert "trialing" in page
    assert "Trial claimed" in page
    assert "subscription.created" in page  # the timeline's audit entries
    assert "Extend trial" in page
    assert "Refund last payment" not in page  # a lead's action


def test_staff_without_a_role_see_nothing_of_billing(client, trial, reader):
    client.force_login(UserFactory(is_staff=True))

    assert client.get("/admin/billing/subscription/").status_code == 403
    assert client.get(f"/admin/accounts/user/{reader.pk}/change/").status_code == 403
    assert client.get(action_url(reader, "extend-trial")).status_code == 403
    assert b"Billing" not in client.get("/admin/").content


def test_support_extends_a_trial_with_a_reason_and_it_is_audited(support_client, trial, reader):
    before = trial.trial_end

    response = support_client.post(
        action_url(reader, "extend-trial"), {"days": 7, "reason": "outage", "confirm": "on"}
    )

    assert response.status_code == 302
    trial.refresh_from_db()
    assert trial.trial_end == before + timedelta(days=7)
    entry = AuditLog.objects.get(action="subscription.trial_extended")
    assert entry.actor_type == "staff"
    assert entry.reason == "+7 days: outage"


def test_without_confirmation_or_reason_nothing_happens(support_client, trial, reader):
    before = trial.trial_end

    unconfirmed = support_client.post(
        action_url(reader, "extend-trial"), {"days": 7, "reason": "x"}
    )
    no_reason = support_client.post(
        action_url(reader, "extend-trial"), {"days": 7, "confirm": "on"}
    )

    assert unconfirmed.status_code == no_reason.status_code == 200
    trial.refresh_from_db()
    assert trial.trial_end == before
    assert not AuditLog.objects.filter(actor_type="staff").exists()


def test_support_cannot_extend_beyond_thirty_days_but_a_lead_can(client, trial, reader):
    client.force_login(member_of("support"))
    refused = client.post(
        action_url(reader, "extend-trial"), {"days": 45, "reason": "x", "confirm": "on"}
    )
    assert refused.status_code == 403

    client.force_login(member_of("support-lead"))
    accepted = client.post(
        action_url(reader, "extend-trial"), {"days": 45, "reason": "x", "confirm": "on"}
    )
    assert accepted.status_code == 302


def test_refunds_are_for_leads_only(client, plans, reader, reader_client):
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
    )
    client.force_login(member_of("support"))
    assert client.get(action_url(reader, "refund")).status_code == 403

    client.force_login(member_of("support-lead"))
    response = client.post(
        action_url(reader, "refund"), {"reason": "double charge", "confirm": "on"}
    )

    assert response.status_code == 302
    assert AuditLog.objects.filter(action="payment.refunded", actor_type="staff").exists()


def test_stripes_refusal_is_shown_and_changes_nothing(support_client, trial, reader, stripe):
    stripe.fault("500", count=1, path=f"/v1/subscriptions/{trial.stripe_subscription_id}")
    before = trial.trial_end

    response = support_client.post(
        action_url(reader, "extend-trial"), {"days": 7, "reason": "x", "confirm": "on"}
    )

    assert response.status_code == 200
    assert b"not available" in response.content
    trial.refresh_from_db()
    assert trial.trial_end == before


def test_subscriptions_can_be_filtered_by_trial_ending_soon(support_client, trial, stripe_sdk):
    soon = Subscription.objects.filter(pk=trial.pk)

    none_yet = support_client.get("/admin/billing/subscription/", {"trial_ending": "3d"})
    soon.update(trial_end=trial.trial_start + timedelta(days=1))
    ending = support_client.get("/admin/billing/subscription/", {"trial_ending": "3d"})

    assert trial.stripe_subscription_id.encode() not in none_yet.content
    assert trial.stripe_subscription_id.encode() in ending.content
