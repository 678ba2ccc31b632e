"""End to end in a real browser: the demo reading surface (demo/) calling the REST API
as a publisher's frontend does. An anonymous reader reads until the meter runs out and
the paywall speaks the seed's words; the registration wall; the newsletter box answers;
no page has a serious or critical accessibility fault (axe-core).

The service is the live test server, Stripe the emulator.
"""

from __future__ import annotations

import pytest
from django.core import mail

from demo.articles import ARTICLES
from tests.factories import NewsletterFactory
from tests.helpers.offers import create_offer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAYWALL_WORDS = (
    "You've reached your limit of free articles. To read the full story, start your free "
    "trial today. Get unlimited access. Cancel anytime."
)


@pytest.fixture
def demo(settings, live_server, plans):
    settings.DEMO_ENABLED = True
    settings.FREE_ARTICLES_PER_MONTH = 3
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http here
    return live_server.url


def _open(page, base: str, index: int) -> None:
    page.goto(f"{base}/demo/articles/{ARTICLES[index].id}/")
    page.wait_for_selector(".story[data-reason]", state="attached")  # the read has answered


def _meter(page) -> str:
    return page.locator("#meter").inner_text()


def test_an_anonymous_reader_reads_until_the_paywall(demo, settings, browser_page):
    create_offer(
        "--code", "SPRING50", "--percent-off", "50", "--duration", "months", "--months", "3",
        "--plans", "monthly", "--headline", "Half price for 3 months",
    )  # fmt: skip
    settings.DEMO_OFFER_CODE = "SPRING50"
    page = browser_page

    _open(page, demo, 0)
    first = _meter(page)
    full_text = page.locator(".paywalled-content").is_visible()
    _open(page, demo, 0)  # a re-read is free
    reread = _meter(page)
    _open(page, demo, 1)
    second = _meter(page)
    _open(page, demo, 2)
    third = _meter(page)
    _open(page, demo, 3)
    paywall = page.locator("#paywall").inner_text()
    page.wait_for_selector("#offer-banner", state="visible")
    page.wait_for_selector("#paywall .plan")
    prices = page.locator("#paywall [data-plans]").inner_text()
    page.select_option("#country", "DE")
    page.wait_for_selector("#paywall .plan:has-text('€')")
    prices_de = page.locator("#paywall [data-plans]").inner_text()

    assert first == "2 free articles left this month"
    assert full_text
    assert reread == "2 free articles left this month"
    assert second == "1 free article left this month"
    assert third == "This is your last free article this month"
    assert PAYWALL_WORDS in paywall
    assert "Get your 30-day free trial!" in paywall
    assert page.locator("#trial-button").is_visible()
    assert not page.locator(".paywalled-content").is_visible()
    assert "Half price for 3 months" in page.locator("#offer-banner").inner_text()
    assert "$" in prices
    assert "incl. VAT" not in prices
    assert "incl. VAT" in prices_de
    assert '"access": "metered"' in page.locator("#token-claims").text_content()


def test_the_demo_on_another_origin_meters_a_reader_through_cors(demo, settings, browser_page):
    # The pages from http://localhost:PORT, the API at http://127.0.0.1:PORT: another
    # origin and another site, so the reader_id cookie (SameSite=Lax) stays behind and
    # only CORS with the exposed X-Reader-Id header carries the meter from page to page.
    api = demo.replace("localhost", "127.0.0.1")
    assert api != demo
    settings.DEMO_API_URL = api
    settings.CORS_ALLOWED_ORIGINS = [demo]
    page = browser_page

    _open(page, demo, 0)
    first = _meter(page)
    _open(page, demo, 1)
    second = _meter(page)

    assert first == "2 free articles left this month"
    assert second == "1 free article left this month"


def test_an_anonymous_reader_meets_the_registration_wall(demo, settings, browser_page):
    settings.FREE_ARTICLES_ANONYMOUS = 1
    settings.FREE_ARTICLES_REGISTERED = 3
    page = browser_page

    _open(page, demo, 0)
    last = _meter(page)
    _open(page, demo, 1)

    assert last == "This is your last free article this month"
    assert page.locator("#registration-wall").is_visible()
    assert not page.locator("#paywall").is_visible()
    assert "Register for free" in page.locator("#registration-wall").inner_text()


def test_the_newsletter_box_signs_a_reader_up(demo, browser_page):
    NewsletterFactory(slug="daily-briefing", name="The Daily Briefing")
    page = browser_page

    _open(page, demo, 4)
    page.wait_for_selector("#newsletter-lists input[value=daily-briefing]:checked")
    page.fill("#newsletter-email", "newsreader@example.com")
    page.click("#newsletter-form button[type=submit]")
    page.wait_for_selector("#newsletter-result:has-text('Check your inbox')")

    assert [message.to for message in mail.outbox] == [["newsreader@example.com"]]


@pytest.mark.parametrize(
    "path",
    [
        "/demo/",
        f"/demo/articles/{ARTICLES[0].id}/",
        "/demo/signup/",
        "/demo/trial/",
        "/demo/account/",
    ],
)
def test_the_pages_have_no_serious_accessibility_faults(demo, browser_page, path):
    from axe_playwright_python.sync_playwright import Axe

    page = browser_page
    page.goto(demo + path)
    page.wait_for_load_state("networkidle")

    violations = Axe().run(page).response["violations"]

    serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_a_reader_signs_in_and_manages_a_trial_on_the_account_page(
    demo, reader, reader_client, browser_page
):
    from tests.factories import DEFAULT_PASSWORD

    started = reader_client.post(
        "/api/billing/trial/",
        {
            "plan": "monthly",
            "payment_method": "pm_card_visa",
            "country": "US",
            "postal_code": "10001",
        },
        format="json",
    )
    assert started.status_code == 201, started.json()
    page = browser_page

    page.goto(f"{demo}/demo/signup/?next=/demo/account/")
    page.fill("#signin-email", reader.email)
    page.fill("#signin-password", DEFAULT_PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#subscription", state="visible")
    plan, state = page.inner_text("#sub-plan"), page.inner_text("#sub-status")
    next_label, next_charge = page.inner_text("#sub-next-label"), page.inner_text("#sub-next")
    page.wait_for_selector("#invoices tbody tr")
    page.select_option("#change-plan", "yearly")
    page.click("#change-plan-form button[type=submit]")
    page.wait_for_selector("#account-status:has-text('Plan changed.')")
    changed = page.inner_text("#sub-plan")
    page.select_option("#cancel-reason", "other")
    page.fill("#cancel-comment", "Testing the demo")
    page.click("#cancel-form button[type=submit]")
    page.wait_for_selector("#sub-status:has-text('cancels on')")
    page.click("#resume")
    page.wait_for_selector("#account-status:has-text('Resumed')")

    assert plan == "Monthly, $9.99 a month"
    assert state == "trialing"
    assert next_label == "Trial ends"
    assert next_charge.endswith("; then $9.99 a month")
    assert changed == "Yearly, $99.00 a year"
    assert page.inner_text("#sub-status") == "trialing"
    assert page.locator("#account-error").is_hidden()
