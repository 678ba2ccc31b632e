"""Stripe events in admin and on the command line: failed ones can be processed again."""

import pytest
from django.core.management import call_command

from audit.models import AuditLog
from billing.models import StripeEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_event(trial_for_events):
    sub = trial_for_events
    return StripeEvent.objects.create(
        id="evt_failed_once",
        type="customer.subscription.updated",
        payload={
            "data": {
                "object": {
                    "id": sub.stripe_subscription_id,
                    "customer": sub.customer.stripe_customer_id,
                }
            }
        },
        status="failed",
        attempts=1,
        last_error="StripeUnavailable: try again",
    )


@pytest.fixture
def trial_for_events(plans, reader_client):
    from billing.models import Subscription

    body = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    return Subscription.objects.get(stripe_subscription_id=body["id"])


def test_admin_reprocess_action_processes_the_event_and_is_audited(
    client, failed_event, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    confirm_page = client.post(
        "/admin/billing/stripeevent/",
        {"action": "reprocess", "_selected_action": [failed_event.id]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/billing/stripeevent/",
            {
                "action": "reprocess",
                "_selected_action": [failed_event.id],
                "_run": "1",
                "reason": "Stripe was down",
                "confirm": "on",
            },
        )

    assert confirm_page.status_code == 200
    assert b"will be processed again" in confirm_page.content
    assert response.status_code == 302
    failed_event.refresh_from_db()
    assert failed_event.status == "processed"
    assert failed_event.attempts == 2
    entry = AuditLog.objects.get(action="stripe_event.reprocess")
    assert entry.actor_user == staff
    assert entry.reason == "Stripe was down"


def test_the_command_reprocesses_every_failed_event(
    failed_event, django_capture_on_commit_callbacks, capsys
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reprocess_stripe_events")

    assert "queued 1 event(s)" in capsys.readouterr().out
    failed_event.refresh_from_db()
    assert failed_event.status == "processed"


def test_stripe_events_are_read_only_in_admin(client, failed_event):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get(f"/admin/billing/stripeevent/{failed_event.id}/change/")
    listing = client.get("/admin/billing/stripeevent/?status__exact=failed")

    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # no Save button (the nav may say "Save offers")
    assert failed_event.id.encode() in listing.content
