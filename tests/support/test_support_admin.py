"""The reader page in admin: find a reader, see their billing, act with a reason, by role."""

import json
from datetime import timedelta
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.utils.html import strip_tags

from audit.models import AuditLog
from billing.models import StripeEvent, Subscription
from tests.billing.webhooks import SECRET, deliver, event_body
from tests.factories import UserFactory
from tests.helpers.admin_pages import reader_page, rows_about
from tests.stripe_time import HOUR, SLACK, past_renewal, unix

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


def member_of(*groups):
    user = UserFactory(is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def trial(plans, reader, reader_client):
    body = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    return Subscription.objects.get(stripe_subscription_id=body["id"])


@pytest.fixture
def support_client(client):
    client.force_login(member_of("support"))
    return client


def action_url(reader, slug):
    return f"/admin/accounts/user/{reader.pk}/billing/{slug}/"


def test_the_roles_exist_as_groups():
    support = set(Group.objects.get(name="support").permissions.values_list("codename", flat=True))
    lead = set(
        Group.objects.get(name="support-lead").permissions.values_list("codename", flat=True)
    )

    assert {"view_user", "view_subscription", "extend_trial", "cancel_subscription"} <= support
    assert {"grant_access", "revoke_grant", "view_grant", "view_apikey"} <= support
    lead_only = {"refund_payment", "extend_trial_long", "grant_access_long"}
    lead_only |= {"add_offer", "change_offer", "deactivate_offer"}
    lead_only |= {"add_saveoffer", "change_saveoffer"}  # the save offer per reason
    lead_only |= {"add_newsletter", "change_newsletter", "export_subscribers"}  # the lists
    assert not lead_only & support
    assert support | lead_only == lead


@pytest.mark.parametrize(
    "term",
    [
        "READER@exa",
        "reader",
        lambda t: t.customer.stripe_customer_id,
        lambda t: t.stripe_subscription_id,
    ],
)
def test_a_reader_is_found_by_partial_email_or_stripe_ids(support_client, trial, term):
    UserFactory(email="someone.else@example.org")
    query = term(trial) if callable(term) else term

    response = support_client.get("/admin/accounts/user/", {"q": query})

    assert response.status_code == 200
    assert b"reader@example.com" in response.content
    assert b"someone.else@example.org" not in response.content


def test_the_reader_page_shows_subscriptions_trial_and_timeline(support_client, trial, reader):
    response = support_client.get(f"/admin/accounts/user/{reader.pk}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    assert trial.stripe_subscription_id in page
    assert "trialing" in page
    assert "Trial claimed" in page
    assert "trial.claimed" in page  # the timeline's audit entries
    assert "Extend trial" in page
    assert "Refund last payment" not in page  # a lead's action


def test_staff_without_a_role_see_nothing_of_billing(client, trial, reader):
    client.force_login(UserFactory(is_staff=True))

    assert client.get("/admin/billing/subscription/").status_code == 403
    assert client.get(f"/admin/accounts/user/{reader.pk}/change/").status_code == 403
    assert client.get(action_url(reader, "extend-trial")).status_code == 403
    assert b"Billing" not in client.get("/admin/").content


def test_support_extends_a_trial_with_a_reason_and_it_is_audited(support_client, trial, reader):
    before = trial.trial_end

    response = support_client.post(
        action_url(reader, "extend-trial"), {"days": 7, "reason": "outage", "confirm": "on"}
    )

    assert response.status_code == 302
    trial.refresh_from_db()
    assert trial.trial_end == before + timedelta(days=7)
    entry = AuditLog.objects.get(action="subscription.trial_extended")
    assert entry.actor_type == "staff"
    assert entry.reason == "+7 days: outage"


def test_without_confirmation_or_reason_nothing_happens(support_client, trial, reader):
    before = trial.trial_end

    unconfirmed = support_client.post(
        action_url(reader, "extend-trial"), {"days": 7, "reason": "x"}
    )
    no_reason = support_client.post(
        action_url(reader, "extend-trial"), {"days": 7, "confirm": "on"}
    )

    assert unconfirmed.status_code == no_reason.status_code == 200
    trial.refresh_from_db()
    assert trial.trial_end == before
    assert not AuditLog.objects.filter(actor_type="staff").exists()


def test_support_cannot_extend_beyond_thirty_days_but_a_lead_can(client, trial, reader):
    client.force_login(member_of("support"))
    refused = client.post(
        action_url(reader, "extend-trial"), {"days": 45, "reason": "x", "confirm": "on"}
    )
    assert refused.status_code == 403

    client.force_login(member_of("support-lead"))
    accepted = client.post(
        action_url(reader, "extend-trial"), {"days": 45, "reason": "x", "confirm": "on"}
    )
    assert accepted.status_code == 302


def test_refunds_are_for_leads_only(client, plans, reader, reader_client):
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
    )
    client.force_login(member_of("support"))
    assert client.get(action_url(reader, "refund")).status_code == 403

    client.force_login(member_of("support-lead"))
    response = client.post(
        action_url(reader, "refund"), {"reason": "double charge", "confirm": "on"}
    )

    assert response.status_code == 302
    assert AuditLog.objects.filter(action="payment.refunded", actor_type="staff").exists()


def test_stripes_refusal_is_shown_and_changes_nothing(support_client, trial, reader, stripe):
    stripe.fault("500", count=1, path=f"/v1/subscriptions/{trial.stripe_subscription_id}")
    before = trial.trial_end

    response = support_client.post(
        action_url(reader, "extend-trial"), {"days": 7, "reason": "x", "confirm": "on"}
    )

    assert response.status_code == 200
    assert b"not available" in response.content
    trial.refresh_from_db()
    assert trial.trial_end == before


def test_subscriptions_can_be_filtered_by_trial_ending_soon(support_client, trial, stripe_sdk):
    soon = Subscription.objects.filter(pk=trial.pk)

    none_yet = support_client.get("/admin/billing/subscription/", {"trial_ending": "3d"})
    soon.update(trial_end=trial.trial_start + timedelta(days=1))
    ending = support_client.get("/admin/billing/subscription/", {"trial_ending": "3d"})

    assert trial.stripe_subscription_id.encode() not in none_yet.content
    assert trial.stripe_subscription_id.encode() in ending.content


def test_the_reader_page_says_why_the_reader_can_read(support_client, trial, reader):
    page = support_client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()

    assert "Unlimited access</strong> (trialing)" in page


def test_a_metered_reader_page_shows_the_meter(support_client, plans):
    metered = UserFactory(email="metered@example.com")

    page = support_client.get(f"/admin/accounts/user/{metered.pk}/change/").content.decode()

    assert "Metered</strong> (metered): 0 of 3 free articles" in page
    assert "No complimentary access." in page


def test_support_grants_free_access_and_can_revoke_it(support_client, plans):
    from entitlements.readers import Reader
    from entitlements.selectors import entitlement_decide

    metered = UserFactory(email="metered@example.com")

    granted = support_client.post(
        action_url(metered, "grant"), {"days": 14, "reason": "press pass", "confirm": "on"}
    )
    decision = entitlement_decide(reader=Reader.for_user(metered))
    revoked = support_client.post(
        action_url(metered, "revoke-grant"), {"reason": "pass expired early", "confirm": "on"}
    )
    after = entitlement_decide(reader=Reader.for_user(metered))

    assert (granted.status_code, revoked.status_code) == (302, 302)
    assert (decision.access, decision.reason) == ("unlimited", "grant")
    assert after.access == "metered"
    actions = set(
        AuditLog.objects.filter(reader=metered, actor_type="staff").values_list("action", flat=True)
    )
    assert actions == {"entitlement.grant_created", "entitlement.grant_revoked"}


def test_grants_beyond_thirty_days_are_for_leads(client, plans):
    metered = UserFactory(email="metered@example.com")
    body = {"days": 90, "reason": "partner", "confirm": "on"}

    client.force_login(member_of("support"))
    assert client.post(action_url(metered, "grant"), body).status_code == 403
    client.force_login(member_of("support-lead"))
    assert client.post(action_url(metered, "grant"), body).status_code == 302


def test_revoking_when_there_is_no_grant_says_so(support_client, plans):
    metered = UserFactory(email="metered@example.com")

    response = support_client.post(
        action_url(metered, "revoke-grant"), {"reason": "x", "confirm": "on"}
    )

    assert response.status_code == 200
    assert b"no grant to revoke" in response.content


def test_only_the_actions_that_apply_are_offered(support_client, trial, reader, reader_client):
    def buttons():
        page = support_client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()
        labels = (
            "Cancel at period end",
            "Cancel now",
            "Resume",
            "Extend trial",
            "Revoke free access",
        )
        return {label for label in labels if f">{label}</a>" in page}

    trialing = buttons()
    reader_client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": True, "reason": "other"},
        format="json",
    )
    cancelling = buttons()

    assert trialing == {"Cancel at period end", "Cancel now", "Extend trial"}
    assert cancelling == {"Cancel now", "Resume", "Extend trial"}


def test_an_unknown_reader_or_action_is_a_404_or_403_not_an_error(support_client, plans):
    assert (
        support_client.get("/admin/accounts/user/999999/billing/extend-trial/").status_code == 404
    )
    assert support_client.get("/admin/accounts/user/1/billing/launch-rockets/").status_code == 403
    assert support_client.get("/admin/accounts/user/abc/billing/extend-trial/").status_code in (
        302,
        404,
    )


# --- the reader page as support reads it: timeline, endings, the actions each role sees ---


def send_event(captured, event_type, obj, *, execute=True):
    from rest_framework.test import APIClient

    body = event_body(event_type, obj)
    with captured(execute=execute):
        assert deliver(APIClient(), body).status_code == 200
    return StripeEvent.objects.get(id=json.loads(body)["id"])


def subscription_event(trial):
    return {"id": trial.stripe_subscription_id, "customer": trial.customer.stripe_customer_id}


def test_a_processed_event_is_one_timeline_row_with_its_outcome_and_effect(
    support_client, trial, reader, stripe_sdk, django_capture_on_commit_callbacks
):
    # Changed in Stripe (the Dashboard, say): the webhook brings the change here.
    stripe_sdk.v1.subscriptions.update(
        trial.stripe_subscription_id, params={"cancel_at_period_end": True}
    )
    event = send_event(
        django_capture_on_commit_callbacks,
        "customer.subscription.updated",
        subscription_event(trial),
    )
    assert event.status == "processed"
    assert AuditLog.objects.filter(action="stripe.customer.subscription.updated").exists()

    page = reader_page(support_client, reader)

    [row] = rows_about(page, event.id)
    assert row["what"] == f"customer.subscription.updated {event.id}"
    assert row["outcome"] == "processed"
    assert "cancel_at_period_end: false → true" in row["detail"]
    assert not [r for r in page.timeline if "stripe.customer.subscription" in r["what"]]
    assert [r for r in page.timeline if r["what"].startswith("trial.claimed ")]


def test_a_failed_event_shows_in_the_timeline_with_its_error(
    support_client, trial, reader, stripe, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_EVENT_MAX_ATTEMPTS = 2
    stripe.fault("500", count=10, path=f"/v1/subscriptions/{trial.stripe_subscription_id}")
    event = send_event(
        django_capture_on_commit_callbacks,
        "customer.subscription.updated",
        subscription_event(trial),
    )
    stripe.clear_faults()
    assert event.status == "failed"

    [row] = rows_about(reader_page(support_client, reader), event.id)

    assert row["outcome"] == "failed"
    assert "StripeUnavailable" in row["detail"]


def test_an_event_not_processed_yet_shows_as_pending(
    support_client, trial, reader, django_capture_on_commit_callbacks
):
    event = send_event(
        django_capture_on_commit_callbacks,
        "customer.subscription.updated",
        subscription_event(trial),
        execute=False,
    )

    [row] = rows_about(reader_page(support_client, reader), event.id)

    assert row["outcome"] == "pending"


def ending_of(page):
    """The 'Why it ended' line of the subscription panel."""
    start = page.text.index('<ul class="subscription-endings">')
    return " ".join(strip_tags(page.text[start : page.text.index("</ul>", start)]).split())


def test_a_subscription_the_reader_canceled_says_so_with_their_reason(
    support_client, trial, reader
):
    from billing.services import Actor, Audit, subscription_cancel

    # The reader's cancellation with a reason (the cancel endpoint will pass it on).
    subscription_cancel(
        user=reader, at_period_end=False, audit=Audit(Actor.READER, user=reader, reason="Too dear")
    )

    ending = ending_of(reader_page(support_client, reader))

    assert "Canceled by the reader (now)" in ending
    assert "By reader@example.com" in ending
    assert "Too dear" in ending


def test_a_reader_who_gave_no_reason_is_shown_as_such(support_client, trial, reader):
    from billing.services import subscription_cancel

    # billing's cancellation without a reason (the REST endpoint always has one).
    subscription_cancel(user=reader, at_period_end=False)

    ending = ending_of(reader_page(support_client, reader))

    assert "Canceled by the reader (now)" in ending
    assert "No reason given" in ending


def test_a_subscription_support_canceled_says_who_and_why(client, trial, reader):
    agent = member_of("support")
    client.force_login(agent)
    response = client.post(
        action_url(reader, "cancel-now"), {"reason": "Card reported stolen", "confirm": "on"}
    )
    assert response.status_code == 302

    ending = ending_of(reader_page(client, reader))

    assert "Canceled by support (now)" in ending
    assert f"By {agent.email}" in ending
    assert "Card reported stolen" in ending


def local(sub_id):
    return Subscription.objects.get(stripe_subscription_id=sub_id)


@pytest.fixture
def hooked(stripe, live_server):
    """Stripe delivers its webhooks to the live server, which stores and processes them."""
    stripe.register_webhook(f"{live_server.url}/api/billing/webhooks/stripe/", secret=SECRET)
    return stripe


@pytest.fixture(params=["every event", "handled events only"])
def hooked_as_configured(request, stripe, live_server):
    """Stripe's endpoint sends every event, or (as the README sets it up) only those we
    handle: no payment_intent.payment_failed, so the decline is read from Stripe."""
    from billing.services.events import HANDLERS

    events = None if request.param == "every event" else sorted(HANDLERS)
    stripe.register_webhook(
        f"{live_server.url}/api/billing/webhooks/stripe/", secret=SECRET, events=events
    )
    return stripe


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_subscription_ended_by_dunning_shows_the_last_decline(
    hooked_as_configured, plans, reader, reader_client, client, stripe_sdk
):
    stripe = hooked_as_configured
    sub_id = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
    ).json()["id"]
    reader_client.post(
        "/api/billing/payment-method/",
        {"payment_method": "pm_card_chargeCustomerFail"},
        format="json",
    )
    # The renewal is charged an hour after the period ends, then retried at each of
    # the invoice's next attempts; after the last one fails, Stripe cancels.
    past_renewal(stripe, local(sub_id))
    stripe.flush(retries=True)
    for _retry in range(len(stripe.settings()["payment_retry_days"]) + 1):
        if local(sub_id).status != "past_due":
            break
        invoice = stripe_sdk.v1.invoices.retrieve(local(sub_id).latest_invoice_id)
        assert invoice.next_payment_attempt is not None, "past_due with no retry planned"
        stripe.advance(to=invoice.next_payment_attempt + SLACK)
        stripe.flush(retries=True)
    assert Subscription.objects.get(stripe_subscription_id=sub_id).status == "canceled"
    client.force_login(member_of("support"))

    ending = ending_of(reader_page(client, reader))

    attempts = 1 + len(stripe.settings()["payment_retry_days"])
    assert f"Canceled by Stripe after {attempts} failed attempts" in ending
    assert "Your card was declined. (generic_decline)" in ending


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_subscription_whose_first_payment_was_never_completed_shows_it_expired(
    hooked, plans, reader, reader_client, client
):
    stripe = hooked
    sub_id = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_authenticationRequired"},
        format="json",
    ).json()["id"]
    created = Subscription.objects.get(stripe_subscription_id=sub_id).stripe_created
    # Stripe expires an incomplete subscription 23 hours after its creation.
    stripe.advance(to=unix(created) + 23 * HOUR + SLACK)
    stripe.flush(retries=True)
    assert Subscription.objects.get(stripe_subscription_id=sub_id).status == "incomplete_expired"
    client.force_login(member_of("support"))

    ending = ending_of(reader_page(client, reader))

    assert "Expired: the first payment was never completed" in ending


def staff_member(role):
    if role == "superuser":
        return UserFactory(is_staff=True, is_superuser=True)
    return member_of(role)


@pytest.mark.parametrize("role", ["support", "support-lead", "superuser"])
def test_every_link_on_the_reader_page_is_one_the_role_can_use(
    client, role, trial, reader, reader_client, django_capture_on_commit_callbacks
):
    # A reader with something behind every button: a pending cancellation (resume),
    # a grant (revoke), a processed Stripe event and audit entries (timeline links).
    reader_client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": True, "reason": "other"},
        format="json",
    )
    send_event(
        django_capture_on_commit_callbacks,
        "customer.subscription.updated",
        subscription_event(trial),
    )
    lead = member_of("support-lead")
    client.force_login(lead)
    client.post(action_url(reader, "grant"), {"days": 3, "reason": "x", "confirm": "on"})
    client.force_login(staff_member(role))
    page_url = f"/admin/accounts/user/{reader.pk}/change/"

    page = reader_page(client, reader)
    followed = {}
    for href, _text in page.links:
        url = urljoin(f"http://testserver{page_url}", href)
        parts = urlsplit(url)
        if parts.netloc != "testserver" or parts.path == page_url:
            continue
        followed[href] = client.get(parts.path, dict(parse_qsl(parts.query))).status_code

    forbidden = {href: code for href, code in followed.items() if code == 403 or code >= 500}
    assert not forbidden
    texts = {text for _href, text in page.links}
    assert {"Resume", "Revoke free access", "customer.subscription.updated"} <= texts
    assert ("Reset password" in texts) is (role == "superuser")
    assert ("Refund last payment" in texts) is (role != "support")


def test_support_does_not_see_reset_password(support_client, trial, reader):
    page = reader_page(support_client, reader)

    assert "Reset password" not in page.text
    assert support_client.get(f"/admin/accounts/user/{reader.pk}/password/").status_code == 403


def test_the_reader_page_shows_the_readers_discounts(support_client, plans, reader, reader_client):
    from tests.helpers.offers import create_offer

    create_offer(
        "--code", "HALF3", "--percent-off", "50", "--duration", "months", "--months", "3",
    )  # fmt: skip
    body = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa", "offer": "HALF3"},
        format="json",
    ).json()
    ends_at = Subscription.objects.get(stripe_subscription_id=body["id"]).discount["ends_at"]

    page = support_client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()

    discounts = page[page.index('class="reader-discounts"') :]
    assert "HALF3" in discounts
    assert "50% off" in discounts
    assert ends_at[:10] in discounts  # the date the discount ends
    assert "Offers redeemed" in discounts


def test_an_amount_off_reads_in_the_readers_currency_and_locale(
    support_client, plans, reader, reader_client
):
    from tests.helpers.offers import create_offer

    create_offer(
        "--code", "THREE", "--amount-off", "usd:300", "--amount-off", "eur:300",
        "--amount-off", "gbp:250", "--duration", "forever",
    )  # fmt: skip
    response = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa", "offer": "THREE", "country": "DE"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    discount = response.json()["discount"]
    assert (discount["amount_off"], discount["currency"]) == (300, "eur")

    page = support_client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()

    discounts = page[page.index('class="reader-discounts"') :]
    assert "3,00\xa0€ off" in discounts


def test_the_reader_page_says_when_there_is_no_discount(support_client, trial, reader):
    page = support_client.get(f"/admin/accounts/user/{reader.pk}/change/").content.decode()

    assert "No discount, no offer redeemed." in page
