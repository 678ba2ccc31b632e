"""End to end in a real browser: support finds a reader by part of their email and
extends their trial by 7 days, then sees the new date and the audit entry.

Playwright drives Debian's chromium (/usr/bin/chromium) headless; the service
is the live test server, Stripe the emulator.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditLog
from billing.models import Subscription
from tests.factories import UserFactory

PASSWORD = "support-password-for-e2e"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def test_support_extends_a_trial_from_the_admin(
    plans, reader, reader_client, live_server, settings, browser_page
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http here
    trial_id = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()[
        "id"
    ]
    before = Subscription.objects.get(stripe_subscription_id=trial_id).trial_end
    support = UserFactory(email="agent@example.com", is_staff=True)
    support.set_password(PASSWORD)
    support.save()
    support.groups.add(Group.objects.get(name="support"))
    expected = (before + timedelta(days=7)).strftime("%Y-%m-%d %H:%M UTC")

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/accounts/user/")
    page.fill("#id_username", "agent@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.fill("#searchbar", "ader@exam")  # part of reader@example.com
    page.press("#searchbar", "Enter")
    page.click("text=reader@example.com")
    page.click("text=Extend trial")
    page.fill("#id_days", "7")
    page.fill("#id_reason", "Apology for the outage")
    page.check("#id_confirm")
    page.click("input[name=_run]")
    page.wait_for_selector("text=Extend trial: done for reader@example.com")
    subscriptions = page.inner_text("table.reader-subscriptions")
    timeline = page.inner_text("table.reader-timeline")

    assert expected in subscriptions
    assert "subscription.trial_extended" in timeline
    assert "agent@example.com" in timeline
    assert Subscription.objects.get(
        stripe_subscription_id=trial_id
    ).trial_end == before + timedelta(days=7)
    assert AuditLog.objects.filter(
        action="subscription.trial_extended", actor_user=support
    ).exists()


def test_support_cancels_and_reads_why_the_subscription_ended(
    plans, reader, reader_client, live_server, settings, browser_page
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json")
    support = UserFactory(email="agent@example.com", is_staff=True)
    support.set_password(PASSWORD)
    support.save()
    support.groups.add(Group.objects.get(name="support"))

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/accounts/user/{reader.pk}/change/")
    page.fill("#id_username", "agent@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    password_row = page.inner_text(".field-password")
    page.click("text=Cancel now")
    page.fill("#id_reason", "Reader asked by phone")
    page.check("#id_confirm")
    page.click("input[name=_run]")
    page.wait_for_selector("text=Cancel now: done for reader@example.com")
    ending = page.inner_text("ul.subscription-endings")
    actions = page.inner_text("fieldset.reader-panel >> nth=1")
    canceled = page.locator("table.reader-timeline tr", has_text="subscription.canceled")

    assert "Reset password" not in password_row  # a 403 for support: not offered
    assert "Canceled by support (now)" in ending
    assert "By agent@example.com" in ending
    assert "Reader asked by phone" in ending
    assert "Cancel now" not in actions  # nothing left to cancel
    assert canceled.count() == 1
    assert "agent@example.com" in canceled.inner_text()
