"""Offers in admin, by role: marketing and support-lead make and change them, support
only sees them; every change is audited in the staff member's name."""

import pytest

from audit.models import AuditLog
from offers.models import Offer
from tests.factories import UserFactory
from tests.helpers.offers import member_of, offer_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

ADD = "/admin/offers/offer/"


@pytest.mark.parametrize(
    ("role", "can_see", "can_add"),
    [
        ("marketing", True, True),
        ("support-lead", True, True),
        ("support", True, False),
        (None, False, False),
    ],
)
def test_who_sees_and_who_makes_offers(client, plans, role, can_see, can_add):
    client.force_login(member_of(role) if role else UserFactory(is_staff=True))

    assert client.get(ADD).status_code == (200 if can_see else 403)
    assert client.get(f"{ADD}add/").status_code == (200 if can_add else 403)
    response = client.post(f"{ADD}add/", offer_form())
    assert response.status_code == (302 if can_add else 403)
    assert Offer.objects.filter(code="AUTUMN").exists() is can_add


def test_marketing_sees_nothing_of_readers(client):
    client.force_login(member_of("marketing"))

    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get("/admin/billing/subscription/").status_code == 403


def test_an_offer_made_in_admin_is_in_stripe_and_audited(client, plans, stripe_sdk):
    staff = member_of("marketing")
    client.force_login(staff)

    client.post(f"{ADD}add/", offer_form(plans=[plans["yearly"].pk]))

    offer = Offer.objects.get(code="AUTUMN")
    assert stripe_sdk.v1.coupons.retrieve(offer.stripe_coupon_id).percent_off == 30
    assert list(offer.plans.values_list("code", flat=True)) == ["yearly"]
    entry = AuditLog.objects.get(action="offer.created")
    assert (entry.actor_type, entry.actor_user) == ("staff", staff)
    assert entry.after["plans"] == ["yearly"]


def test_a_change_in_admin_is_synced_and_audited(client, plans, stripe_sdk):
    staff = member_of("support-lead")
    client.force_login(staff)
    client.post(f"{ADD}add/", offer_form())
    offer = Offer.objects.get(code="AUTUMN")

    response = client.post(f"{ADD}{offer.pk}/change/", offer_form(headline="Autumn sale"))

    assert response.status_code == 302
    assert stripe_sdk.v1.coupons.retrieve(offer.stripe_coupon_id).name == "Autumn sale"
    entry = AuditLog.objects.get(action="offer.changed")
    assert entry.actor_user == staff
    assert (entry.before["headline"], entry.after["headline"]) == ("Autumn: 30% off", "Autumn sale")


def test_a_redeemed_offers_discount_is_not_changed_in_admin(
    client, half_price_3_months, reader_client
):
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa", "offer": "HALF3"},
        format="json",
    )
    client.force_login(member_of("marketing"))
    form = offer_form(
        code="HALF3",
        headline="Half price for 3 months",
        percent_off="90",
        duration="repeating",
        duration_in_months="3",
        plans=[half_price_3_months.plans.get().pk],
        **{"redemptions-TOTAL_FORMS": "1", "redemptions-INITIAL_FORMS": "1"},
    )

    response = client.post(f"{ADD}{half_price_3_months.pk}/change/", form, follow=True)

    assert "Nothing was saved" in response.content.decode()
    assert Offer.objects.get(pk=half_price_3_months.pk).percent_off == 50
    assert not AuditLog.objects.filter(action="offer.changed").exists()


def test_deactivating_in_admin_needs_the_permission(client, half_price_3_months, stripe_sdk):
    action = {"action": "deactivate", "_selected_action": [half_price_3_months.pk]}
    client.force_login(member_of("support"))
    client.post(ADD, action)
    assert Offer.objects.get(pk=half_price_3_months.pk).active is True

    staff = member_of("marketing")
    client.force_login(staff)
    client.post(ADD, action)

    assert Offer.objects.get(pk=half_price_3_months.pk).active is False
    code = stripe_sdk.v1.promotion_codes.retrieve(half_price_3_months.stripe_promotion_code_id)
    assert code.active is False
    assert AuditLog.objects.get(action="offer.changed").actor_user == staff


def test_nobody_deletes_an_offer(client, half_price_3_months):
    client.force_login(member_of("support-lead", "marketing"))

    response = client.get(f"{ADD}{half_price_3_months.pk}/delete/")

    assert response.status_code == 403
