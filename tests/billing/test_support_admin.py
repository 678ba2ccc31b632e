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
    assert {"grant_access", "revoke_grant", "view_grant", "view_apikey"} <= support
    lead_only = {"refund_payment", "extend_trial_long", "grant_access_long"}
    assert not lead_only & support
    assert support | lead_only == lead


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


def test_the_reader_page_says_why_the_reader_can_read(support_client, trial, reader):
    page = support_client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()

    assert "Unlimited access</strong> (trialing)" in page


def test_a_metered_reader_page_shows_the_meter(support_client, plans):
    metered = UserFactory(email="metered@example.com")

    page = support_client.get(f"/admin/accounts/user/{metered.pk}/change/").content.decode()

    assert "Metered</strong> (metered): 0 of 3 free articles" in page
    assert "No complimentary access." in page


def test_support_grants_free_access_and_can_revoke_it(support_client, plans):
    from entitlements.readers import Reader
    from entitlements.selectors import entitlement_decide

    metered = UserFactory(email="metered@example.com")

    granted = support_client.post(
        action_url(metered, "grant"), {"days": 14, "reason": "press pass", "confirm": "on"}
    )
    decision = entitlement_decide(reader=Reader.for_user(metered))
    revoked = support_client.post(
        action_url(metered, "revoke-grant"), {"reason": "pass expired early", "confirm": "on"}
    )
    after = entitlement_decide(reader=Reader.for_user(metered))

    assert (granted.status_code, revoked.status_code) == (302, 302)
    assert (decision.access, decision.reason) == ("unlimited", "grant")
    assert after.access == "metered"
    actions = set(
        AuditLog.objects.filter(reader=metered, actor_type="staff").values_list("action", flat=True)
    )
    assert actions == {"entitlement.grant_created", "entitlement.grant_revoked"}


def test_grants_beyond_thirty_days_are_for_leads(client, plans):
    metered = UserFactory(email="metered@example.com")
    body = {"days": 90, "reason": "partner", "confirm": "on"}

    client.force_login(member_of("support"))
    assert client.post(action_url(metered, "grant"), body).status_code == 403
    client.force_login(member_of("support-lead"))
    assert client.post(action_url(metered, "grant"), body).status_code == 302


def test_revoking_when_there_is_no_grant_says_so(support_client, plans):
    metered = UserFactory(email="metered@example.com")

    response = support_client.post(
        action_url(metered, "revoke-grant"), {"reason": "x", "confirm": "on"}
    )

    assert response.status_code == 200
    assert b"no grant to revoke" in response.content


def test_only_the_actions_that_apply_are_offered(support_client, trial, reader, reader_client):
    def buttons():
        page = support_client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()
        labels = (
            "Cancel at period end",
            "Cancel now",
            "Resume",
            "Extend trial",
            "Revoke free access",
        )
        return {label for label in labels if f">{label}</a>" in page}

    trialing = buttons()
    reader_client.post("/api/billing/subscription/cancel/", {"at_period_end": True}, format="json")
    cancelling = buttons()

    assert trialing == {"Cancel at period end", "Cancel now", "Extend trial"}
    assert cancelling == {"Cancel now", "Resume", "Extend trial"}


def test_an_unknown_reader_or_action_is_a_404_or_403_not_an_error(support_client, plans):
    assert (
        support_client.get("/admin/accounts/user/999999/billing/extend-trial/").status_code == 404
    )
    assert support_client.get("/admin/accounts/user/1/billing/launch-rockets/").status_code == 403
    assert support_client.get("/admin/accounts/user/abc/billing/extend-trial/").status_code in (
        302,
        404,
    )
