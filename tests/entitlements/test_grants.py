"""Complimentary grants: given and revoked through services, always audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLog
from config.errors import ApplicationError
from entitlements.models import Grant
from entitlements.services import grant_create, grant_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_grant_is_audited_with_who_and_why(reader):
    staff = UserFactory(is_staff=True)
    ends = timezone.now() + timedelta(days=30)

    grant = grant_create(reader=reader, ends_at=ends, reason="  press pass ", granted_by=staff)

    assert grant.reason == "press pass"
    entry = AuditLog.objects.get(action="entitlement.grant_created")
    assert (entry.actor_type, entry.actor_user, entry.reader) == ("staff", staff, reader)
    assert entry.reason == "press pass"
    assert entry.after["ends_at"] == ends.isoformat()


def test_revoking_is_audited_once(reader):
    staff = UserFactory(is_staff=True)
    grant = grant_create(
        reader=reader, ends_at=timezone.now() + timedelta(days=1), reason="x", granted_by=None
    )

    grant_revoke(grant=grant, revoked_by=staff, reason="mistake")
    grant_revoke(grant=grant, revoked_by=staff, reason="again")

    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert grant.revoked_by == staff
    entries = AuditLog.objects.filter(action="entitlement.grant_revoked")
    assert [(e.actor_user, e.reason) for e in entries] == [(staff, "mistake")]
    assert entries[0].before["revoked_at"] is None


@pytest.mark.parametrize(
    ("ends_in", "reason", "code"),
    [(timedelta(0), "x", "invalid_grant_period"), (timedelta(days=1), " ", "reason_required")],
)
def test_a_grant_needs_a_period_and_a_reason(reader, ends_in, reason, code):
    now = timezone.now()

    with pytest.raises(ApplicationError) as caught:
        grant_create(
            reader=reader, starts_at=now, ends_at=now + ends_in, reason=reason, granted_by=None
        )

    assert caught.value.code == code
    assert not Grant.objects.exists()
    assert not AuditLog.objects.exists()


def test_staff_grant_access_in_the_admin(reader, admin_client, admin_user):
    now = timezone.now()

    response = admin_client.post(
        "/admin/entitlements/grant/add/",
        {
            "reader": reader.pk,
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": (now + timedelta(days=7)).strftime("%Y-%m-%d"),
            "ends_at_1": "12:00:00",
            "reason": "goodwill after an outage",
        },
    )

    assert response.status_code == 302, response.content
    grant = Grant.objects.get()
    assert grant.granted_by == admin_user
    entry = AuditLog.objects.get(action="entitlement.grant_created")
    assert entry.actor_user == admin_user

    admin_client.post(
        "/admin/entitlements/grant/", {"action": "revoke", "_selected_action": [grant.pk]}
    )
    grant.refresh_from_db()
    assert grant.revoked_by == admin_user
