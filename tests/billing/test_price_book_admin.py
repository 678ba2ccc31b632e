"""The price book in admin: the pricing role edits a plan's amount per currency (the
Stripe-mirrored fields stay read-only), syncs it to Stripe with an audited action, and
sees revenue and MRR one currency at a time."""

from __future__ import annotations

import pytest

from audit.models import AuditLog
from billing.models import Plan, PlanPrice
from tests.factories import UserFactory
from tests.helpers.offers import member_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

PLANS = "/admin/billing/plan/"


def price_book_form(plan: Plan, **amounts: int) -> dict[str, str]:
    """The plan's change form as staff send it, with new amounts per currency."""
    rows = list(plan.prices.order_by("pk"))
    form = {
        "prices-TOTAL_FORMS": str(len(rows)),
        "prices-INITIAL_FORMS": str(len(rows)),
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        form |= {
            f"prices-{i}-id": str(row.pk),
            f"prices-{i}-plan": str(plan.pk),
            f"prices-{i}-currency": row.currency,
            f"prices-{i}-unit_amount": str(amounts.get(row.currency, row.unit_amount)),
        }
    return form


def test_the_plan_list_shows_each_price_formatted(client, plans):
    client.force_login(member_of("support"))

    page = client.get(PLANS).content.decode()

    assert "$9.99 · €9.99 · £8.99" in page


@pytest.mark.parametrize(("role", "can_edit"), [("pricing", True), ("support", False)])
def test_only_the_pricing_role_edits_the_price_book(client, plans, role, can_edit):
    plan = plans["monthly"]
    client.force_login(member_of(role))

    response = client.post(f"{PLANS}{plan.pk}/change/", price_book_form(plan, eur=1099))

    assert response.status_code == (302 if can_edit else 403)
    eur = PlanPrice.objects.get(plan=plan, currency="eur").unit_amount
    assert eur == (1099 if can_edit else 999)


def test_an_edit_is_audited_and_reaches_stripe_only_when_synced(client, plans, stripe_sdk):
    staff = member_of("pricing")
    client.force_login(staff)
    plan = plans["monthly"]
    old_price = plan.stripe_price_id

    client.post(f"{PLANS}{plan.pk}/change/", price_book_form(plan, eur=1099))

    edit = AuditLog.objects.get(action="plan.price_book_changed")
    assert (edit.actor_type, edit.actor_user) == ("staff", staff)
    assert (edit.before["prices"]["eur"], edit.after["prices"]["eur"]) == (999, 1099)
    assert Plan.objects.get(pk=plan.pk).stripe_price_id == old_price

    client.post(PLANS, {"action": "sync_to_stripe", "_selected_action": [plan.pk]})

    plan.refresh_from_db()
    assert plan.stripe_price_id != old_price
    price = stripe_sdk.v1.prices.retrieve(
        plan.stripe_price_id, params={"expand": ["currency_options"]}
    )
    assert price.currency_options["eur"].unit_amount == 1099
    assert price.currency_options["eur"].tax_behavior == "inclusive"
    synced = AuditLog.objects.get(action="plan.price_book_synced")
    assert synced.actor_user == staff
    assert (synced.before["stripe_price_id"], synced.after["stripe_price_id"]) == (
        old_price,
        plan.stripe_price_id,
    )


def test_a_currency_we_do_not_sell_in_is_refused(client, plans):
    client.force_login(member_of("pricing"))
    plan = plans["monthly"]
    form = price_book_form(plan)
    form["prices-0-currency"] = "chf"

    response = client.post(f"{PLANS}{plan.pk}/change/", form)

    assert response.status_code == 200
    assert "Not a currency we sell in" in response.content.decode()


def test_a_plan_missing_a_currency_does_not_sync(client, plans, stripe):
    client.force_login(member_of("pricing"))
    plan = plans["monthly"]
    PlanPrice.objects.filter(plan=plan, currency="gbp").delete()

    response = client.post(
        PLANS, {"action": "sync_to_stripe", "_selected_action": [plan.pk]}, follow=True
    )

    assert "no price in GBP" in response.content.decode()
    assert Plan.objects.get(pk=plan.pk).stripe_price_id == plan.stripe_price_id
    assert not AuditLog.objects.filter(action="plan.price_book_synced").exists()


def test_the_report_never_adds_currencies_together(client, plans, settings):
    reader_de, reader_gb = UserFactory(), UserFactory()
    from tests.helpers.clients import client_for

    for reader, country in ((reader_de, "DE"), (reader_gb, "GB")):
        response = client_for(reader).post(
            "/api/billing/subscribe/",
            {"plan": "monthly", "payment_method": "pm_card_visa", "country": country},
            format="json",
        )
        assert response.status_code == 201, response.json()
    client.force_login(member_of("pricing"))
    assert f"{PLANS}report/" in client.get(PLANS).content.decode()

    page = client.get(f"{PLANS}report/").content.decode()

    assert page.count("€9.99") == 2  # MRR and revenue, in euros
    assert page.count("£8.99") == 2
    assert "$" not in page.split("Revenue and MRR")[-1]


def test_the_report_is_for_the_pricing_role(client, plans):
    client.force_login(member_of("support"))

    assert client.get(f"{PLANS}report/").status_code == 403
