"""The email platform's side: GET /api/newsletters/<slug>/subscribers/?since= (Api-Key)
and the CSV export in admin."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group

from newsletters.models import Subscription
from newsletters.selectors import email_hash
from tests.factories import UserFactory
from tests.helpers.newsletters import feed_url, sign_up_and_confirm, unsubscribe_path

pytestmark = pytest.mark.django_db


def test_the_feed_needs_an_api_key(anonymous_client, reader_client, daily):
    assert anonymous_client.get(feed_url("daily")).status_code == 401
    assert reader_client.get(feed_url("daily")).status_code in (401, 403)


def test_an_unknown_newsletter_is_a_404(service_client):
    assert service_client.get(feed_url("nope")).status_code == 404


def test_additions_carry_the_address_and_its_list_unsubscribe_values(
    anonymous_client, service_client, daily
):
    sign_up_and_confirm(anonymous_client, "ann@example.com", "daily")

    body = service_client.get(feed_url("daily")).json()

    (added,) = body["results"]
    subscription = Subscription.objects.get()
    assert added["action"] == "added"
    assert added["email"] == "ann@example.com"
    assert added["id"] == str(subscription.uid)
    assert added["email_sha256"] == email_hash("ann@example.com")
    assert added["list_unsubscribe"] == f"<{added['unsubscribe_url']}>"
    assert added["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    assert body["next"] is None
    assert body["cursor"]


def test_a_sync_resumes_from_its_cursor_and_sees_removals(anonymous_client, service_client, daily):
    sign_up_and_confirm(anonymous_client, "ann@example.com", "daily")
    cursor = service_client.get(feed_url("daily")).json()["cursor"]
    sign_up_and_confirm(anonymous_client, "bob@example.com", "daily")
    first = service_client.get(feed_url("daily")).json()["results"][0]
    anonymous_client.post(unsubscribe_path(first["unsubscribe_url"]))

    body = service_client.get(feed_url("daily"), {"since": cursor}).json()

    assert [(r["action"], r.get("email")) for r in body["results"]] == [
        ("added", "bob@example.com"),
        ("removed", None),
    ]
    assert body["results"][1]["id"] == first["id"]
    assert body["results"][1]["email_sha256"] == email_hash("ann@example.com")
    again = service_client.get(feed_url("daily"), {"since": body["cursor"]}).json()
    assert again["results"] == []


def test_the_feed_pages(anonymous_client, service_client, daily):
    for name in ("a", "b", "c"):
        sign_up_and_confirm(anonymous_client, f"{name}@example.com", "daily")

    page = service_client.get(feed_url("daily"), {"limit": 2}).json()
    rest = service_client.get(feed_url("daily"), {"since": page["next"], "limit": 2}).json()

    assert [r["email"] for r in page["results"]] == ["a@example.com", "b@example.com"]
    assert [r["email"] for r in rest["results"]] == ["c@example.com"]
    assert rest["next"] is None


def test_a_bad_cursor_is_a_400(service_client, daily):
    response = service_client.get(feed_url("daily"), {"since": "abc"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.usefixtures("roles")
def test_marketing_exports_the_confirmed_subscribers_as_csv(
    client, anonymous_client, daily, weekly
):
    sign_up_and_confirm(anonymous_client, "ann@example.com", "daily")
    sign_up_and_confirm(anonymous_client, "bob@example.com", "weekly")
    staff = UserFactory(is_staff=True)
    staff.groups.set(Group.objects.filter(name="marketing"))
    client.force_login(staff)

    response = client.post(
        "/admin/newsletters/newsletter/",
        {"action": "export_csv", "_selected_action": [daily.pk]},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["newsletter"], r["email"]) for r in rows] == [("daily", "ann@example.com")]
    assert rows[0]["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    assert rows[0]["list_unsubscribe"].startswith("<http")
