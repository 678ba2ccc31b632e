"""The whole reader's journey through the demo (demo/) in a real browser: an anonymous
reader reads up to the paywall, registers, starts a trial with a card that asks for
3-D Secure (approved in the challenge), reads without limit; Stripe's clock passes the
trial's end and the first charge shows on the account page; the reader starts to cancel,
takes the save offer, cancels for another reason and resumes, then pauses.

The service is the live test server, Stripe the emulator (its webhooks delivered to the
live server). With DEMO_SCREENSHOTS set to a directory, the journey saves a PNG of each
page there (scripts/screenshots runs it so into docs/screenshots/).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from billing.models import Subscription
from demo.articles import ARTICLES
from offers.models import SaveOffer
from tests.billing.webhooks import SECRET
from tests.helpers.offers import create_offer
from tests.stripe_time import past_trial_end

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHALLENGE = 'iframe[title="3D Secure authentication"]'
PASSWORD = "a long journey password"
SHOTS = os.environ.get("DEMO_SCREENSHOTS", "")


@pytest.fixture
def demo(settings, live_server, stripe, plans):
    settings.DEMO_ENABLED = True
    settings.FREE_ARTICLES_PER_MONTH = 2
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http here
    stripe.register_webhook(f"{live_server.url}/api/billing/webhooks/stripe/", secret=SECRET)
    return live_server.url


@pytest.fixture
def save_offer(plans):
    stay = create_offer(
        "--code", "STAY50", "--percent-off", "50", "--duration", "months", "--months", "3",
        "--headline", "Stay: half price for 3 months",
    )  # fmt: skip
    SaveOffer.objects.create(reason="too_expensive", kind="discount", offer=stay)
    return stay


def shoot(page, name: str) -> None:
    """A PNG of the page as the reader sees it, when DEMO_SCREENSHOTS names a directory."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def serious_faults(page) -> list[str]:
    """axe-core's serious and critical accessibility faults on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def read(page, base: str, index: int) -> None:
    page.goto(f"{base}/demo/articles/{ARTICLES[index].id}/")
    page.wait_for_selector(".story[data-reason]", state="attached")  # the read has answered


def test_a_reader_goes_from_the_paywall_to_a_paid_paused_subscription(
    demo, stripe, save_offer, browser_page
):
    faults: dict[str, list[str]] = {}  # each state the reader sees, checked with axe-core
    page = browser_page
    page.set_viewport_size({"width": 1000, "height": 800})

    # Anonymous: two free articles, the meter counting down, then the paywall.
    read(page, demo, 0)
    first_meter = page.inner_text("#meter")
    shoot(page, "1-article-with-meter")
    faults["1-article-with-meter"] = serious_faults(page)
    read(page, demo, 1)
    last_meter = page.inner_text("#meter")
    read(page, demo, 2)
    page.wait_for_selector("#paywall .plan")
    paywalled = page.locator("#paywall").is_visible()
    shoot(page, "2-paywall")
    faults["2-paywall"] = serious_faults(page)

    # Register from the paywall's trial button; the sign-up page leads on to the trial.
    page.click("#trial-button")
    page.click("#trial-signin a")
    page.fill("#register-email", "journey@example.com")
    page.fill("#register-password1", PASSWORD)
    page.fill("#register-password2", PASSWORD)
    page.click("#register-form button[type=submit]")
    page.wait_for_url("**/demo/trial/")

    # The trial: a card asking for 3-D Secure, approved in the challenge.
    page.wait_for_selector("#trial-form input[name=plan][value=monthly]")
    page.check("#trial-form input[name=plan][value=monthly]")
    page.fill("#postal-code", "10001")
    page.fill("[data-elements-stable-field-name=cardNumber]", "4000 0025 0000 3155")
    page.fill("[data-elements-stable-field-name=cardExpiry]", "12 / 34")
    page.fill("[data-elements-stable-field-name=cardCvc]", "123")
    shoot(page, "3-trial-card-form")
    faults["3-trial-card-form"] = serious_faults(page)
    page.click("#trial-submit")
    challenge = page.frame_locator(CHALLENGE)
    challenge.get_by_role("button", name="Complete authentication").wait_for()
    shoot(page, "4-3d-secure-challenge")
    faults["4-3d-secure-challenge"] = serious_faults(page)
    challenge.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url("**/demo/account/")
    page.wait_for_selector("#subscription", state="visible")
    trial_state = page.inner_text("#sub-status")
    trial_next = page.inner_text("#sub-next-label")

    # Unlimited reading: the articles behind the wall open in full.
    read(page, demo, 3)
    unlimited = [page.locator(".paywalled-content").is_visible()]
    read(page, demo, 4)
    unlimited.append(page.locator(".paywalled-content").is_visible())
    paywall_after = page.locator("#paywall").is_visible()

    # Stripe's clock passes the trial's end and the first charge an hour later.
    stripe.flush(retries=True)
    subscription = Subscription.objects.get(user__email="journey@example.com")
    past_trial_end(stripe, subscription)
    stripe.flush(retries=True)
    page.goto(f"{demo}/demo/account/")
    page.wait_for_selector("#sub-status:text-is('active')")
    page.wait_for_selector("#invoices tbody tr:has-text('$9.99'):has-text('paid')")
    charged_next = page.inner_text("#sub-next")
    invoices = page.inner_text("#invoices tbody")
    shoot(page, "5-account")
    faults["5-account"] = serious_faults(page)

    # Cancelling: too expensive brings the save offer, which the reader takes.
    page.select_option("#cancel-reason", "too_expensive")
    page.wait_for_selector("#save-offer", state="visible")
    save_text = page.inner_text("#save-offer-text")
    page.locator("#save-offer").scroll_into_view_if_needed()
    shoot(page, "6-save-offer")
    faults["6-save-offer"] = serious_faults(page)
    page.click("#save-offer-accept")
    page.wait_for_selector("#account-status:has-text('Offer applied')")
    discount = page.inner_text("#sub-discount")

    # Another reason has no offer: the reader cancels, then thinks again and resumes.
    page.select_option("#cancel-reason", "other")
    save_hidden = page.locator("#save-offer").is_hidden()
    page.fill("#cancel-comment", "Trying the demo")
    page.click("#cancel-form button[type=submit]")
    page.wait_for_selector("#sub-status:has-text('cancels on')")
    page.click("#resume")
    page.wait_for_selector("#account-status:has-text('Resumed')")
    page.wait_for_selector("#sub-status:text-is('active')")

    # A pause: nothing charged for a month.
    page.select_option("#pause-months", "1")
    page.click("#pause-form button[type=submit]")
    page.wait_for_selector("#sub-status:has-text('paused until')")

    assert {name: found for name, found in faults.items() if found} == {}
    assert len(faults) == 6
    assert first_meter == "1 free article left this month"
    assert last_meter == "This is your last free article this month"
    assert paywalled
    assert trial_state == "trialing"
    assert trial_next == "Trial ends"
    assert unlimited == [True, True]
    assert not paywall_after
    assert "$9.99" in invoices
    assert "$9.99" in charged_next
    assert "Stay: half price for 3 months" in save_text
    assert discount != "none"
    assert save_hidden
    assert page.locator("#account-error").is_hidden()
    subscription.refresh_from_db()
    assert subscription.status == "active"
