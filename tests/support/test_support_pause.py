"""Support sees a reader's pause and its end on the reader page, and ends it (audited,
with a reason, by role)."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils.html import strip_tags

from audit.models import AuditLog
from billing.models import Subscription
from config.errors import ApplicationError
from support.services import support_end_pause
from tests.factories import UserFactory
from tests.helpers.billing import subscribe
from tests.helpers.entitlements import ME

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


def member_of(*groups):
    user = UserFactory(is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


def action_url(reader, slug):
    return f"/admin/accounts/user/{reader.pk}/billing/{slug}/"


@pytest.fixture
def paused(plans, reader, reader_client, django_capture_on_commit_callbacks):
    body = subscribe(reader_client)
    with django_capture_on_commit_callbacks(execute=True):
        response = reader_client.post(
            "/api/billing/subscription/pause/", {"months": 2}, format="json"
        )
    assert response.status_code == 200
    return Subscription.objects.get(stripe_subscription_id=body["id"])


def test_the_reader_page_shows_the_pause_and_its_end(client, paused, reader):
    client.force_login(member_of("support"))

    page = client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()

    text = " ".join(strip_tags(page).split())
    assert f"paused (void) until {paused.pause_resumes_at:%Y-%m-%d %H:%M} UTC" in text
    assert "Metered (paused): Paused by the reader until" in text
    assert action_url(reader, "end-pause") in page


def test_a_reader_without_a_pause_has_no_end_pause_button(client, plans, reader, reader_client):
    subscribe(reader_client)
    client.force_login(member_of("support"))

    page = client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()

    assert action_url(reader, "end-pause") not in page


@pytest.mark.parametrize("role", ["support", "support-lead"])
def test_support_ends_a_pause_with_a_reason_audited(
    client, paused, reader, reader_client, stripe_sdk, role, django_capture_on_commit_callbacks
):
    agent = member_of(role)
    client.force_login(agent)
    assert reader_client.get(ME).json()["reason"] == "paused"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action_url(reader, "end-pause"),
            {"reason": "Reader called: back from travels", "confirm": "on"},
        )

    assert response.status_code == 302
    local = Subscription.objects.get(pk=paused.pk)
    assert (local.pause_behavior, local.pause_resumes_at) == ("", None)
    remote = stripe_sdk.v1.subscriptions.retrieve(paused.stripe_subscription_id)
    assert remote.pause_collection is None
    entry = AuditLog.objects.get(action="subscription.pause_ended")
    assert entry.actor_type == "staff"
    assert entry.actor_user == agent
    assert entry.reader == reader
    assert entry.reason == "Reader called: back from travels"
    assert reader_client.get(ME).json()["reason"] == "active"


def test_staff_without_the_permission_cannot_end_a_pause(client, paused, reader):
    nobody = UserFactory(is_staff=True)
    client.force_login(nobody)

    assert client.get(action_url(reader, "end-pause")).status_code == 403
    with pytest.raises(PermissionDenied):
        support_end_pause(staff=nobody, reader=reader, reason="because")
    assert Subscription.objects.get(pk=paused.pk).pause_behavior == "void"


def test_ending_a_pause_needs_a_reason(paused, reader):
    with pytest.raises(ApplicationError):
        support_end_pause(staff=member_of("support"), reader=reader, reason="  ")
    assert Subscription.objects.get(pk=paused.pk).pause_behavior == "void"


def test_ending_a_pause_that_is_not_there_is_refused(plans, reader, reader_client):
    subscribe(reader_client)

    with pytest.raises(ApplicationError) as refused:
        support_end_pause(staff=member_of("support"), reader=reader, reason="check")

    assert refused.value.code == "not_paused"
