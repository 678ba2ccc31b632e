"""Every web request opens its Stripe time budget (billing.gateway.stripe_budget)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from billing.gateway import stripe_budget


class StripeBudgetMiddleware:
    """All the Stripe calls of one request share STRIPE_REQUEST_BUDGET_SECONDS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with stripe_budget(seconds=float(settings.STRIPE_REQUEST_BUDGET_SECONDS)):
            return self.get_response(request)
