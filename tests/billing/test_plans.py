"""sync_plans makes the catalogue real in Stripe; GET /api/billing/plans/ lists what is on sale."""

import pytest
from django.core.management import call_command

from audit.models import AuditLog
from billing.models import Plan, PlanPrice
from billing.services import plan_sync_catalogue
from config.errors import ApplicationError

pytestmark = pytest.mark.django_db

CATALOGUE = [
    {
        "code": "monthly",
        "name": "Monthly",
        "prices": {"usd": 999, "eur": 999, "gbp": 899},
        "interval": "month",
        "trial_days": 30,
    },
    {
        "code": "yearly",
        "name": "Yearly",
        "prices": {"USD": 9900, "EUR": 9900, "GBP": 8900},
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
    price = stripe_sdk.v1.prices.retrieve(
        monthly.stripe_price_id, params={"expand": ["currency_options"]}
    )
    assert price.unit_amount == 999
    assert price.currency == "usd"
    assert price.tax_behavior == "exclusive"
    assert price.recurring.interval == "month"
    assert price.lookup_key == "monthly"
    assert price.product == monthly.stripe_product_id
    options = {
        cur: (o["unit_amount"], o["tax_behavior"])
        for cur, o in price.currency_options.to_dict().items()
    }
    assert options == {
        "usd": (999, "exclusive"),
        "eur": (999, "inclusive"),
        "gbp": (899, "inclusive"),
    }
    assert stripe_sdk.v1.products.retrieve(monthly.stripe_product_id).name == "Monthly"
    assert Plan.objects.get(code="yearly").currency == "usd"
    assert dict(monthly.prices.values_list("currency", "unit_amount")) == {
        "usd": 999,
        "eur": 999,
        "gbp": 899,
    }


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


def test_a_changed_price_book_makes_a_new_price_and_archives_the_old(stripe, stripe_sdk):
    plan_sync_catalogue(catalogue=CATALOGUE)
    old_price = Plan.objects.get(code="monthly").stripe_price_id
    PlanPrice.objects.filter(plan__code="monthly", currency="eur").update(unit_amount=1099)

    report = plan_sync_catalogue(catalogue=CATALOGUE)

    plan = Plan.objects.get(code="monthly")
    assert report.updated == ["monthly"]
    assert plan.stripe_price_id != old_price
    new = stripe_sdk.v1.prices.retrieve(
        plan.stripe_price_id, params={"expand": ["currency_options"]}
    )
    assert new.currency_options["eur"].unit_amount == 1099
    assert new.lookup_key == "monthly"
    assert stripe_sdk.v1.prices.retrieve(old_price).active is False
    assert AuditLog.objects.filter(action="plan.synced").count() == 3


def test_the_catalogue_seeds_the_price_book_but_never_overrides_staff(stripe):
    plan_sync_catalogue(catalogue=CATALOGUE)
    PlanPrice.objects.filter(plan__code="monthly", currency="gbp").update(unit_amount=799)

    changed = [{**CATALOGUE[0], "prices": {"usd": 1299, "eur": 1299, "gbp": 1199}}]
    plan_sync_catalogue(catalogue=[*changed, CATALOGUE[1]])

    prices = dict(
        PlanPrice.objects.filter(plan__code="monthly").values_list("currency", "unit_amount")
    )
    assert prices == {"usd": 999, "eur": 999, "gbp": 799}


def test_a_plan_without_a_price_in_every_currency_is_refused(stripe, settings):
    settings.CURRENCIES = ["usd", "eur", "gbp", "chf"]

    with pytest.raises(ApplicationError, match="Plan monthly has no price in CHF"):
        plan_sync_catalogue(catalogue=CATALOGUE)
    assert posts(stripe) == []
    assert not Plan.objects.exists()


def test_the_older_catalogue_shape_still_syncs_in_the_default_currency(stripe, settings):
    settings.CURRENCIES = ["usd"]
    old_shape = {k: v for k, v in CATALOGUE[0].items() if k != "prices"}

    plan_sync_catalogue(catalogue=[{**old_shape, "amount": 999, "currency": "USD"}])

    plan = Plan.objects.get(code="monthly")
    assert (plan.amount, plan.currency) == (999, "usd")
    assert list(plan.prices.values_list("currency", "unit_amount")) == [("usd", 999)]


def test_a_plan_removed_from_the_catalogue_is_archived(stripe, stripe_sdk):
    plan_sync_catalogue(catalogue=CATALOGUE)

    report = plan_sync_catalogue(catalogue=CATALOGUE[:1])

    yearly = Plan.objects.get(code="yearly")
    assert report.archived == ["yearly"]
    assert yearly.active is False
    assert stripe_sdk.v1.prices.retrieve(yearly.stripe_price_id).active is False


def test_a_bad_catalogue_is_refused_before_anything_reaches_stripe(stripe):
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
            "display": "$9.99",
            "tax_behavior": "exclusive",
            "interval": "month",
            "trial_days": 30,
        }
    ]


def test_a_price_book_sync_cut_off_after_stripe_made_the_price_makes_it_once(stripe, stripe_sdk):
    from billing.gateway import GatewayError

    plan_sync_catalogue(catalogue=CATALOGUE)
    PlanPrice.objects.filter(plan__code="monthly", currency="gbp").update(unit_amount=799)
    stripe.fault("drop_after", count=1, path="/v1/prices")

    try:
        plan_sync_catalogue(catalogue=CATALOGUE)
    except GatewayError:
        plan_sync_catalogue(catalogue=CATALOGUE)  # the operator runs it again

    plan = Plan.objects.get(code="monthly")
    made = stripe_sdk.v1.prices.list(params={"product": plan.stripe_product_id, "limit": 100})
    assert len(made.data) == 2  # the first and one new: never two new ones
    assert [p.id for p in made.data if p.active] == [plan.stripe_price_id]
