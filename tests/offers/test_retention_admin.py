"""Retention in admin: staff match a save offer to each reason (marketing and
support-lead edit, support only sees, audited), the monthly report of reasons and save
rate, and the reasons on the reader page."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from audit.models import AuditLog
from offers.models import CancellationFeedback, SaveOffer
from offers.retention_selectors import cancellation_report
from tests.factories import UserFactory
from tests.helpers.billing import subscribe
from tests.helpers.offers import create_offer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

SAVE_OFFERS = "/admin/offers/saveoffer/"
REPORT = "/admin/offers/cancellationfeedback/report/"


def member_of(*groups):
    user = UserFactory(is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def stay(plans):
    return create_offer(
        "--code", "STAY50", "--percent-off", "50", "--duration", "months", "--months", "3",
        "--headline", "Stay",
    )  # fmt: skip


@pytest.mark.parametrize("role", ["marketing", "support-lead"])
def test_marketing_and_support_lead_configure_a_save_offer_audited(client, stay, role):
    staff = member_of(role)
    client.force_login(staff)

    response = client.post(
        f"{SAVE_OFFERS}add/", {"reason": "too_expensive", "kind": "discount", "offer": stay.pk}
    )

    assert response.status_code == 302, response.content
    save_offer = SaveOffer.objects.get()
    assert (save_offer.reason, save_offer.kind, save_offer.offer) == (
        "too_expensive",
        "discount",
        stay,
    )
    entry = AuditLog.objects.get(action="save_offer.saved")
    assert entry.actor_user == staff
    assert entry.after == {
        "reason": "too_expensive",
        "kind": "discount",
        "offer_id": stay.pk,
        "months": None,
    }

    changed = client.post(
        f"{SAVE_OFFERS}{save_offer.pk}/change/",
        {"reason": "too_expensive", "kind": "pause", "offer": "", "months": "2"},
    )
    assert changed.status_code == 302
    assert SaveOffer.objects.get().months == 2
    latest = AuditLog.objects.filter(action="save_offer.saved").latest("pk")
    assert latest.before["kind"] == "discount"
    assert latest.after["kind"] == "pause"


def test_support_sees_save_offers_and_the_report_but_changes_nothing(client, stay):
    SaveOffer.objects.create(reason="temporary_break", kind="pause", months=1)
    client.force_login(member_of("support"))

    assert client.get(SAVE_OFFERS).status_code == 200
    assert client.get(REPORT).status_code == 200
    refused = client.post(f"{SAVE_OFFERS}add/", {"reason": "other", "kind": "none"})
    assert refused.status_code == 403
    assert SaveOffer.objects.count() == 1


def test_staff_without_a_role_see_nothing_of_retention(client):
    client.force_login(member_of())

    assert client.get(SAVE_OFFERS).status_code == 403
    assert client.get(REPORT).status_code == 403


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "discount"}, "offer"),
        ({"kind": "pause", "months": 4}, "months"),
        ({"kind": "pause"}, "months"),
        ({"kind": "none", "months": 1}, "months"),
    ],
)
def test_a_save_offer_is_validated(fields, error):
    with pytest.raises(ValidationError) as refused:
        SaveOffer(reason="other", **fields).full_clean()

    assert error in refused.value.message_dict


def test_a_once_or_first_time_offer_is_no_save_offer(plans):
    once = create_offer("--code", "ONCE10", "--percent-off", "10", "--headline", "Once")
    first = create_offer(
        "--code", "NEW3", "--percent-off", "10", "--duration", "months", "--months", "3",
        "--first-time-only", "--headline", "New",
    )  # fmt: skip

    for offer in (once, first):
        with pytest.raises(ValidationError) as refused:
            SaveOffer(reason="other", kind="discount", offer=offer).full_clean()
        assert "offer" in refused.value.message_dict


def answer(reason, outcome, when):
    row = CancellationFeedback.objects.create(
        reason=reason, offered_kind="pause", outcome=outcome, pause_months=1
    )
    CancellationFeedback.objects.filter(pk=row.pk).update(created_at=when)


def test_the_monthly_report_counts_reasons_and_the_save_rate(client, django_assert_max_num_queries):
    october, november = datetime(2026, 10, 5, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
    for _ in range(3):
        answer("too_expensive", "saved", october)
    answer("too_expensive", "cancelled", october)
    answer("other", "cancelled", october)
    answer("temporary_break", "saved", november)

    with django_assert_max_num_queries(1):
        report = cancellation_report()

    assert [m["month"].strftime("%Y-%m") for m in report] == ["2026-11", "2026-10"]
    nov, octo = report
    assert (nov["saved"], nov["cancelled"], nov["save_rate"]) == (1, 0, 1.0)
    assert (octo["saved"], octo["cancelled"], octo["save_rate"]) == (3, 2, 0.6)
    by_reason = {r["reason"]: r for r in octo["reasons"]}
    assert by_reason["too_expensive"]["save_rate"] == 0.75
    assert by_reason["too_expensive"]["label"] == "It is too expensive"
    assert by_reason["other"]["save_rate"] == 0.0

    client.force_login(member_of("marketing"))
    page = client.get(REPORT).content.decode()
    assert "2026-10: save rate 60%" in page
    assert "2026-11: save rate 100%" in page


def test_the_reader_page_shows_the_cancellation_reasons(client, plans, reader, reader_client):
    subscribe(reader_client)
    reader_client.post(
        "/api/billing/subscription/cancel/",
        {"reason": "other", "comment": "Moving abroad"},
        format="json",
    )
    client.force_login(member_of("support"))

    page = client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()

    assert "Cancellation reasons" in page
    assert "Moving abroad" in page
    assert "Cancelled anyway" in page


def test_marketing_sees_the_answers_but_not_who_gave_them(client, plans, reader, reader_client):
    subscribe(reader_client)
    reader_client.post(
        "/api/billing/subscription/cancel/", {"reason": "too_expensive"}, format="json"
    )
    feedback = CancellationFeedback.objects.get()

    client.force_login(member_of("marketing"))
    listing = client.get("/admin/offers/cancellationfeedback/").content.decode()
    detail = client.get(f"/admin/offers/cancellationfeedback/{feedback.pk}/change/")
    client.force_login(member_of("support"))
    for_support = client.get("/admin/offers/cancellationfeedback/").content.decode()

    assert "It is too expensive" in listing
    assert reader.email not in listing
    assert detail.status_code == 200
    assert reader.email not in detail.content.decode()
    assert reader.email in for_support


def test_the_admin_form_refuses_an_offer_that_cannot_be_a_save_offer(client, stay):
    once = create_offer("--code", "ONCE10", "--percent-off", "10", "--headline", "Once")
    client.force_login(member_of("marketing"))

    form = client.get(f"{SAVE_OFFERS}add/").content.decode()
    refused = client.post(
        f"{SAVE_OFFERS}add/", {"reason": "too_expensive", "kind": "discount", "offer": once.pk}
    )

    assert "STAY50" in form
    assert "ONCE10" not in form
    assert refused.status_code == 200  # the form again, with its error
    assert not SaveOffer.objects.exists()
    assert not AuditLog.objects.filter(action="save_offer.saved").exists()
