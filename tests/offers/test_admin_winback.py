"""Win-back in admin: staff who make offers aim one at readers lapsed in the last N
days; the change is ours alone (no new Stripe object) and audited."""

import pytest

from audit.models import AuditLog
from offers.models import Offer
from tests.helpers.offers import member_of, offer_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

ADD = "/admin/offers/offer/"


def test_marketing_targets_an_offer_at_readers_lapsed_in_the_last_n_days(client, plans):
    client.force_login(member_of("marketing"))

    response = client.post(f"{ADD}add/", offer_form(lapsed_within_days="30"))

    assert response.status_code == 302
    offer = Offer.objects.get(code="AUTUMN")
    assert offer.lapsed_within_days == 30
    assert AuditLog.objects.get(action="offer.created").after["lapsed_within_days"] == 30


def test_a_change_of_target_is_audited_and_keeps_the_stripe_promotion_code(client, plans):
    staff = member_of("support-lead")
    client.force_login(staff)
    client.post(f"{ADD}add/", offer_form(lapsed_within_days="30"))
    offer = Offer.objects.get(code="AUTUMN")

    response = client.post(f"{ADD}{offer.pk}/change/", offer_form(lapsed_within_days="60"))

    assert response.status_code == 302
    changed = Offer.objects.get(pk=offer.pk)
    assert changed.lapsed_within_days == 60
    assert changed.stripe_promotion_code_id == offer.stripe_promotion_code_id
    entry = AuditLog.objects.get(action="offer.changed")
    assert entry.actor_user == staff
    assert (entry.before["lapsed_within_days"], entry.after["lapsed_within_days"]) == (30, 60)


def test_support_sees_the_target_but_cannot_change_it(client, plans):
    client.force_login(member_of("marketing"))
    client.post(f"{ADD}add/", offer_form(lapsed_within_days="30"))
    offer = Offer.objects.get(code="AUTUMN")
    client.force_login(member_of("support"))

    page = client.get(f"{ADD}{offer.pk}/change/")
    response = client.post(f"{ADD}{offer.pk}/change/", offer_form(lapsed_within_days="5"))

    assert page.status_code == 200
    assert "Lapsed within days" in page.content.decode()
    assert response.status_code == 403
    assert Offer.objects.get(pk=offer.pk).lapsed_within_days == 30
