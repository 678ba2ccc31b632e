"""Newsletters endpoints under /api/newsletters/ (docs/api.md, "Newsletters").

The confirmation (it links the anonymous reader that presents itself, an
entitlements notion) and the sync feed (Api-Key, entitlements' keys) compose a
higher app: support serves them at the same prefix (support/api_newsletters.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.throttles import AUTH_THROTTLES
from config.schema import error_responses
from newsletters import links, selectors, services
from newsletters.serializers import (
    NewsletterOutput,
    PreferencesInput,
    PreferencesOutput,
    SubscribeInput,
)

ACCEPTED = {"detail": "Check your inbox: a confirmation link is on its way."}


def request_ip_hash(request: Request) -> str:
    """The client's IP (as the throttles see it, NUM_PROXIES honoured), hashed."""
    return selectors.ip_hash(BaseThrottle().get_ident(request))


def request_source_page(request: Request, given: str | None) -> str:
    return (given or request.headers.get("Referer") or "")[:500]


class NewsletterListApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(responses={200: NewsletterOutput(many=True)}, auth=[])
    def get(self, request: Request) -> Response:
        return Response(NewsletterOutput(selectors.newsletters_open(), many=True).data)


class SubscribeApi(APIView):
    """Anyone signs an address up: 202 whatever the address (nothing to learn from it)."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = AUTH_THROTTLES  # per IP and per address
    throttle_scope = "newsletter_signup"

    @extend_schema(
        request=SubscribeInput,
        responses={
            202: OpenApiResponse(description="A confirmation email is on its way (or not)."),
            **error_responses(
                {
                    400: "invalid_newsletters (unknown slug), or a malformed address",
                    403: "subscribers_only: a newsletter for paying subscribers",
                }
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = SubscribeInput(data=request.data)
        data.is_valid(raise_exception=True)
        newsletters = services.newsletters_for_signup(slugs=data.validated_data["newsletters"])
        services.newsletter_signup(
            email=data.validated_data["email"],
            newsletters=newsletters,
            source_page=request_source_page(request, data.validated_data.get("source_page")),
            ip_hash=request_ip_hash(request),
        )
        return Response(ACCEPTED, status=status.HTTP_202_ACCEPTED)


def _preferences(request: AuthenticatedRequest, awaiting: list[str]) -> Response:
    prefs = selectors.preferences_for_user(user=request.user)
    body = {
        "newsletters": [
            {
                "slug": p.newsletter.slug,
                "name": p.newsletter.name,
                "description": p.newsletter.description,
                "frequency": p.newsletter.frequency,
                "audience": p.newsletter.audience,
                "subscribed": p.subscribed,
            }
            for p in prefs
        ],
        "awaiting_confirmation": awaiting,
    }
    return Response(PreferencesOutput(body).data)


class PreferencesApi(APIView):
    """The signed-in reader's lists: each newsletter, subscribed or not."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: PreferencesOutput})
    def get(self, request: AuthenticatedRequest) -> Response:
        return _preferences(request, [])

    @extend_schema(
        request=PreferencesInput,
        responses={
            200: PreferencesOutput,
            **error_responses(
                {
                    400: "invalid_newsletters",
                    403: "subscribers_only: a newsletter for paying subscribers",
                }
            ),
        },
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        data = PreferencesInput(data=request.data)
        data.is_valid(raise_exception=True)
        choices = {item["slug"]: item["subscribed"] for item in data.validated_data["newsletters"]}
        awaiting = services.preferences_update(
            user=request.user,
            choices=choices,
            source_page=request_source_page(request, None),
            ip_hash=request_ip_hash(request),
        )
        return _preferences(request, awaiting)


class _AnyAccept(BaseContentNegotiation):
    """A mailbox provider's one-click POST may send any Accept header: JSON it gets."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class UnsubscribeApi(APIView):
    """The one-click URL (RFC 8058): POST unsubscribes, GET only shows a page to confirm.

    No sign-in: the signed link is the authority. The POST body (List-Unsubscribe=
    One-Click, form-encoded) is not read: the link alone says what to do.
    """

    permission_classes = (AllowAny,)
    authentication_classes = ()
    content_negotiation_class = _AnyAccept

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(description="An HTML page with a button that POSTs here."),
            **error_responses({400: "invalid_token"}),
        },
        auth=[],
    )
    def get(self, request: Request, token: str) -> HttpResponse:
        kind, _ = links.unsubscribe_read(token)  # a bad link is refused, a good one shown
        html = render_to_string(
            "newsletters/unsubscribe.html", {"everything": kind == "h", "done": False}
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(description="Unsubscribed (also when already)."),
            **error_responses({400: "invalid_token"}),
        },
        auth=[],
    )
    def post(self, request: Request, token: str) -> HttpResponse:
        services.unsubscribe_by_link(token=token)
        if "text/html" in request.headers.get("Accept", ""):  # the page's own button
            html = render_to_string("newsletters/unsubscribe.html", {"done": True})
            return HttpResponse(html, content_type="text/html; charset=utf-8")
        return Response({"detail": "You are unsubscribed."})
