"""The demo reading surface's pages (docs/architecture.md, "The demo").

Server-rendered shells only: everything a reader does (reading, the meter, the walls,
signing up, the trial, the account) is the browser calling the REST API with the
pages' JavaScript (demo/static/demo/), exactly as a publisher's frontend would. Off
unless DEBUG or DEMO_ENABLED: in production /demo/ is a 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe

from demo.articles import ARTICLES, SECTIONS, Article, article_get

STRIPE_JS_URL = "https://js.stripe.com/v3/"
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def demo_enabled() -> bool:
    return bool(settings.DEBUG or settings.DEMO_ENABLED)


def stripe_js_url() -> str:
    """DEMO_STRIPE_JS_URL; unset, the emulator's stand-in when it is our Stripe, else Stripe's."""
    if settings.DEMO_STRIPE_JS_URL:
        return str(settings.DEMO_STRIPE_JS_URL)
    if settings.STRIPE_API_BASE:
        return f"{settings.STRIPE_API_BASE.rstrip('/')}/v3/"
    return STRIPE_JS_URL


def _page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not demo_enabled():
            raise Http404("The demo is off.")
        return view(request, *args, **kwargs)

    return wrapped


def _context(**extra: Any) -> dict[str, Any]:
    return {
        "sections": SECTIONS,
        "offer_code": settings.DEMO_OFFER_CODE,
        "api_base": settings.DEMO_API_URL,
        "trial_days": settings.TRIAL_DAYS,
        **extra,
    }


def article_json_ld(article: Article, url: str) -> SafeString:
    """schema.org NewsArticle: not free, the part behind the paywall named by its selector."""
    markup = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.standfirst,
        "articleSection": article.section,
        "datePublished": article.published.isoformat(),
        "author": {"@type": "Person", "name": article.author},
        "mainEntityOfPage": url,
        "isAccessibleForFree": False,
        "hasPart": {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": ".paywalled-content",
        },
    }
    return mark_safe(json.dumps(markup).translate(_JSON_ESCAPES))  # noqa: S308 - escaped


@_page
def front(request: HttpRequest) -> HttpResponse:
    by_section = [(s, [a for a in ARTICLES if a.section == s]) for s in SECTIONS]
    return render(request, "demo/front.html", _context(by_section=by_section))


@_page
def article(request: HttpRequest, article_id: str) -> HttpResponse:
    found = article_get(article_id)
    if found is None:
        raise Http404("No such article.")
    json_ld = article_json_ld(found, request.build_absolute_uri())
    return render(request, "demo/article.html", _context(article=found, json_ld=json_ld))


@_page
def signup(request: HttpRequest) -> HttpResponse:
    return render(request, "demo/signup.html", _context())


@_page
def trial(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "demo/trial.html",
        _context(
            stripe_js_url=stripe_js_url(),
            stripe_publishable_key=settings.DEMO_STRIPE_PUBLISHABLE_KEY,
        ),
    )


@_page
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "demo/account.html", _context())
