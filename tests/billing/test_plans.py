"""sync_plans makes the catalogue real in Stripe; GET /api/billing/plans/ lists what is on sale."""

import pytest
from django.core.management import call_command

from audit.models import AuditLog
from billing.models import Plan
from billing.services import plan_sync_catalogue

pytestmark = pytest.mark.django_db

CATALOGUE = [
    {
        "code": "monthly",
        "name": "Monthly",
        "amount": 999,
        "currency": "usd",
        "interval": "month",
        "trial_days": 30,
    },
    {
        "code": "yearly",
        "name": "Yearly",
        "amount": 9900,
        "currency": "USD",
        "interval": "year",
        "trial_days": 30,
    },
]


def posts(stripe) -> list[dict]:
    return [r for r in stripe.requests() if r["method"] == "POST"]


def test_sync_creates_products_and_prices_in_stripe(stripe, stripe_sdk):
    report = plan_sync_catalogue(catalogue=CATALOGUE)

    assert sorted(report.created) == ["monthly", "yearly"]
    monthly = Plan.objects.get(code="monthly")
    price = stripe_sdk.v1.prices.retrieve(monthly.stripe_price_id)
    assert price.unit_amount == 999
    assert price.currency == "usd"
    assert price.recurring.interval == "month"
    assert price.lookup_key == "monthly"
    assert price.product == monthly.stripe_product_id
    assert stripe_sdk.v1.products.retrieve(monthly.stripe_product_id).name == "Monthly"
    assert Plan.objects.get(code="yearly").currency == "usd"


def test_sync_twice_writes_nothing_the_second_time(stripe):
    plan_sync_catalogue(catalogue=CATALOGUE)
    writes_before = len(posts(stripe))

    report = plan_sync_catalogue(catalogue=CATALOGUE)

    assert sorted(report.unchanged) == ["monthly", "yearly"]
    assert len(posts(stripe)) == writes_before
    assert Plan.objects.count() == 2


def test_every_stripe_write_carries_our_attempt_key(stripe):
    plan_sync_catalogue(catalogue=CATALOGUE)

    keys = [r["idempotency_key"] for r in posts(stripe)]
    assert keys
    assert all(k and k.split(":")[0] in {"product.create", "price.create"} for k in keys)
    assert len(set(keys)) == len(keys)


def test_a_new_amount_makes_a_new_price_and_archives_the_old(stripe, stripe_sdk):
    plan_sync_catalogue(catalogue=CATALOGUE)
    old_price = Plan.objects.get(code="monthly").stripe_price_id

    changed = [{**CATALOGUE[0], "amount": 1299}, CATALOGUE[1]]
    report = plan_sync_catalogue(catalogue=changed)

    plan = Plan.objects.get(code="monthly")
    assert report.updated == ["monthly"]
    assert plan.amount == 1299
    assert plan.stripe_price_id != old_price
    assert stripe_sdk.v1.prices.retrieve(plan.stripe_price_id).unit_amount == 1299
    assert stripe_sdk.v1.prices.retrieve(old_price).active is False
    assert AuditLog.objects.filter(action="plan.synced").count() == 3


def test_a_plan_removed_from_the_catalogue_is_archived(stripe, stripe_sdk):
    plan_sync_catalogue(catalogue=CATALOGUE)

    report = plan_sync_catalogue(catalogue=CATALOGUE[:1])

    yearly = Plan.objects.get(code="yearly")
    assert report.archived == ["yearly"]
    assert yearly.active is False
    assert stripe_sdk.v1.prices.retrieve(yearly.stripe_price_id).active is False


def test_a_bad_catalogue_is_refused_before_anything_reaches_stripe(stripe):
    from config.errors import ApplicationError

    with pytest.raises(ApplicationError, match="interval"):
        plan_sync_catalogue(catalogue=[{**CATALOGUE[0], "interval": "fortnight"}])
    assert posts(stripe) == []


def test_the_command_syncs_the_settings_catalogue(stripe, capsys):
    call_command("sync_plans")
    call_command("sync_plans")

    out = capsys.readouterr().out
    assert "created: monthly, yearly" in out
    assert "unchanged: monthly, yearly" in out


def test_plan_list_is_public_and_shows_active_plans(stripe, client):
    plan_sync_catalogue(catalogue=CATALOGUE)
    plan_sync_catalogue(catalogue=CATALOGUE[:1])

    response = client.get("/api/billing/plans/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "monthly",
            "name": "Monthly",
            "amount": 999,
            "currency": "usd",
            "interval": "month",
            "trial_days": 30,
        }
    ]
