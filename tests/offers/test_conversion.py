"""Item 7, offers: each offer's redemptions and trial-to-paid conversion in admin. Of the
readers who started a trial with the offer, converted are those who have paid now (a
paid invoice, or an active subscription): read from what the webhooks mirrored."""

import pytest

from billing.models import Subscription
from offers.conversion import offers_with_conversion
from offers.models import Offer, Redemption
from tests.billing.webhooks import SECRET
from tests.factories import UserFactory
from tests.helpers.clients import client_for
from tests.helpers.offers import member_of
from tests.stripe_time import past_trial_end

CHANGELIST = "/admin/offers/offer/"


@pytest.fixture
def hooked(stripe, live_server):
    """Stripe delivers its webhooks to the live server, which stores and processes them."""
    stripe.register_webhook(f"{live_server.url}/api/billing/webhooks/stripe/", secret=SECRET)
    return stripe


def trial_with(client, offer, payment_method=""):
    body = {"plan": "monthly", "offer": offer}
    if payment_method:
        body["payment_method"] = payment_method
    response = client.post("/api/billing/trial/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("roles")
def test_conversion_counts_the_trial_readers_who_paid_once_the_trial_ended(
    hooked, campaign_trial, client
):
    converts = client_for(UserFactory(email="converts@example.com"))
    leaves = client_for(UserFactory(email="leaves@example.com"))
    pays_at_once = client_for(UserFactory(email="pays@example.com"))
    paying = trial_with(converts, "TRY14", payment_method="pm_card_visa")
    trial_with(leaves, "TRY14")  # no card: nothing to charge when the trial ends
    response = pays_at_once.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa", "offer": "TRY14"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    hooked.flush()
    before = offers_with_conversion(Offer.objects.filter(pk=campaign_trial.pk)).get()
    assert (before.redemption_count, before.trial_count, before.converted_count) == (3, 2, 0)

    past_trial_end(hooked, paying)  # both trials end; the one with a card is charged
    hooked.flush(retries=True)

    assert Subscription.objects.get(stripe_subscription_id=paying["id"]).status == "active"
    assert not Subscription.objects.filter(
        user__email="leaves@example.com", status="active"
    ).exists()
    after = offers_with_conversion(Offer.objects.filter(pk=campaign_trial.pk)).get()
    assert (after.redemption_count, after.trial_count, after.converted_count) == (3, 2, 1)
    client.force_login(member_of("marketing"))
    page = client.get(CHANGELIST).content.decode()
    assert "1 of 2 trials (50%)" in page
    detail = client.get(f"{CHANGELIST}{campaign_trial.pk}/change/").content.decode()
    assert "1 of 2 trials (50%)" in detail
    for email in ("converts@example.com", "leaves@example.com", "pays@example.com"):
        assert email in detail  # the readers who redeemed it, with the date


def _offers_with_redemptions(count, readers_each=3):
    first = Offer.objects.count()
    for n in range(first, first + count):
        offer = Offer.objects.create(
            code=f"BULK{n}", headline=f"Bulk {n}", percent_off=10, stripe_promotion_code_id="x"
        )
        for _ in range(readers_each):
            Redemption.objects.create(
                offer=offer,
                user=UserFactory(),
                status=Redemption.Status.REDEEMED,
                plan_code="monthly",
                with_trial=True,
            )


@pytest.mark.django_db
@pytest.mark.usefixtures("roles")
def test_the_changelist_costs_the_same_few_queries_for_1_or_20_offers(
    client, django_assert_max_num_queries
):
    client.force_login(member_of("marketing"))
    _offers_with_redemptions(1)
    with django_assert_max_num_queries(8):
        assert client.get(CHANGELIST).status_code == 200

    _offers_with_redemptions(19)
    with django_assert_max_num_queries(8):
        page = client.get(CHANGELIST).content.decode()
    assert page.count("0 of 3 trials (0%)") == 20


@pytest.mark.django_db
@pytest.mark.usefixtures("roles")
@pytest.mark.parametrize(
    ("role", "status"),
    [("marketing", 200), ("support-lead", 200), ("support", 200), (None, 403)],
)
def test_who_sees_redemptions_and_conversion(client, role, status):
    _offers_with_redemptions(1)
    client.force_login(member_of(role) if role else UserFactory(is_staff=True))

    response = client.get(CHANGELIST)

    assert response.status_code == status
    if status == 200:
        assert "Trial to paid" in response.content.decode()
        assert "0 of 3 trials (0%)" in response.content.decode()
