"""The demo reading surface's pages: on only with DEBUG or DEMO_ENABLED, rendered for
anonymous readers with the markup a publisher's frontend needs (demo/)."""

from __future__ import annotations

import json
import re

import pytest

from demo.articles import ARTICLES, SECTIONS

pytestmark = pytest.mark.django_db

PAYWALL_WORDS = (
    "You've reached your limit of free articles. To read the full story, start your free "
    "trial today. Get unlimited access. Cancel anytime."
)
ARTICLE = ARTICLES[0]
ARTICLE_URL = f"/demo/articles/{ARTICLE.id}/"


@pytest.fixture
def demo_on(settings):
    settings.DEMO_ENABLED = True
    return settings


def _json_ld(html: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found, "no JSON-LD on the page"
    return json.loads(found.group(1))


def trial_page(client, demo_on, *, js_url: str, api_base: str | None = None) -> str:
    """The trial page's HTML with DEMO_STRIPE_JS_URL (and STRIPE_API_BASE, if given) set."""
    demo_on.DEMO_STRIPE_JS_URL = js_url
    if api_base is not None:
        demo_on.STRIPE_API_BASE = api_base
    return client.get("/demo/trial/").content.decode()


@pytest.mark.parametrize("path", ["/demo/", ARTICLE_URL, "/demo/signup/", "/demo/trial/"])
def test_the_demo_is_off_in_production_by_default(client, settings, path):
    assert settings.DEBUG is False
    settings.DEMO_ENABLED = False

    assert client.get(path).status_code == 404


def test_debug_turns_the_demo_on(client, settings):
    settings.DEBUG = True

    assert client.get("/demo/").status_code == 200


def test_the_front_page_lists_every_sample_article_by_section(client, demo_on):
    html = client.get("/demo/").content.decode()

    assert 8 <= len(ARTICLES) <= 12
    assert {article.section for article in ARTICLES} == set(SECTIONS)
    for section in SECTIONS:
        assert f">{section}</h2>" in html
    for article in ARTICLES:
        assert f'href="/demo/articles/{article.id}/"' in html


def test_sample_article_ids_are_ones_the_entitlements_api_counts():
    assert len({article.id for article in ARTICLES}) == len(ARTICLES)
    for article in ARTICLES:
        assert re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", article.id)
        assert article.paywalled, "every article has a part behind the paywall"


def test_an_unknown_article_is_a_404(client, demo_on):
    assert client.get("/demo/articles/no-such-story/").status_code == 404


def test_the_article_page_carries_the_paywall_markup_for_search_engines(client, demo_on):
    html = client.get(ARTICLE_URL).content.decode()

    markup = _json_ld(html)
    assert markup["@type"] == "NewsArticle"
    assert markup["headline"] == ARTICLE.title
    assert markup["isAccessibleForFree"] is False
    assert markup["hasPart"] == {
        "@type": "WebPageElement",
        "isAccessibleForFree": False,
        "cssSelector": ".paywalled-content",
    }
    assert 'class="paywalled-content"' in html
    assert ARTICLE.teaser in html


def test_the_json_ld_cannot_close_its_script_tag(demo_on):
    from demo.articles import Article
    from demo.views import article_json_ld

    article = Article(
        id="x",
        section="World",
        title="</script><script>alert(1)</script>",
        standfirst="a & b",
        author="A",
        published=ARTICLE.published,
        paragraphs=("one", "two"),
    )

    markup = str(article_json_ld(article, "http://testserver/demo/articles/x/"))

    assert "</script>" not in markup
    assert json.loads(markup)["headline"] == article.title


def test_the_article_page_has_the_walls_in_the_seeds_words(client, demo_on):
    html = client.get(ARTICLE_URL).content.decode()

    assert PAYWALL_WORDS in html.replace("&#x27;", "'")
    assert "Get your 30-day free trial!" in html
    assert 'id="trial-button" href="/demo/trial/"' in html
    assert 'id="registration-wall"' in html
    assert 'id="newsletter-form"' in html
    assert 'id="debug-panel"' in html
    assert "demo/article.js" in html


def test_the_trial_length_follows_the_setting(client, demo_on):
    demo_on.TRIAL_DAYS = 14

    assert "Get your 14-day free trial!" in client.get(ARTICLE_URL).content.decode()


def test_the_offer_banner_names_the_configured_offer(client, demo_on):
    demo_on.DEMO_OFFER_CODE = "SPRING50"

    html = client.get(ARTICLE_URL).content.decode()

    assert 'data-offer-code="SPRING50"' in html
    assert 'id="offer-banner"' in html


def test_the_trial_page_loads_stripe_js_with_the_configured_url_and_key(client, demo_on):
    demo_on.DEMO_STRIPE_PUBLISHABLE_KEY = "pk_test_publisher"

    html = trial_page(client, demo_on, js_url="https://js.stripe.com/v3/")

    assert '<script src="https://js.stripe.com/v3/"></script>' in html
    assert 'data-stripe-key="pk_test_publisher"' in html
    assert 'id="card-element"' in html


def test_stripe_js_comes_from_the_emulator_when_it_is_our_stripe(client, demo_on):
    html = trial_page(client, demo_on, js_url="", api_base="http://127.0.0.1:12111")

    assert '<script src="http://127.0.0.1:12111/v3/"></script>' in html
    assert 'data-stripe-key="pk_test_emulator"' in html


def test_stripe_js_comes_from_stripe_without_the_emulator(client, demo_on):
    html = trial_page(client, demo_on, js_url="", api_base="")

    assert '<script src="https://js.stripe.com/v3/"></script>' in html


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/demo/signup/", 'id="register-form"'),
        ("/demo/signup/", 'id="signin-form"'),
        ("/demo/account/", 'id="cancel-form"'),
        ("/demo/account/", 'id="pause-form"'),
        ("/demo/account/", 'id="delete-form"'),
        ("/demo/account/", 'id="invoices"'),
        ("/demo/", 'id="country"'),
    ],
)
def test_each_page_renders_for_an_anonymous_reader(client, demo_on, path, marker):
    response = client.get(path)

    assert response.status_code == 200
    assert marker in response.content.decode()


def test_the_pages_never_ask_for_a_card_number(client, demo_on):
    html = client.get("/demo/trial/").content.decode()

    assert "cardnumber" not in html.lower()
    assert 'name="card' not in html


def test_the_pages_call_their_own_origin_unless_told_another(client, demo_on):
    assert 'data-api-base=""' in client.get("/demo/").content.decode()

    demo_on.DEMO_API_URL = "https://billing.publisher.example"

    assert 'data-api-base="https://billing.publisher.example"' in (
        client.get("/demo/").content.decode()
    )
