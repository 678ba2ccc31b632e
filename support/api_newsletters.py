"""Newsletters endpoints that reach past newsletters (same prefix, /api/newsletters/):

- confirming a sign-up links the anonymous reader that presents itself (its signed
  reader id, an entitlements notion) to the confirmed address, so that reader
  meters as registered (docs/api.md, "The registration wall");
- the email platform's sync feed authenticates with entitlements' service Api-Keys.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import error_responses
from entitlements.authentication import ApiKeyAuthentication, HasApiKey
from entitlements.readers import anonymous_reader_from_request
from newsletters import selectors as newsletter_selectors
from newsletters import services as newsletter_services
from newsletters.models import Newsletter
from newsletters.serializers import ConfirmInput, ConfirmOutput, FeedOutput


class ConfirmApi(APIView):
    """The owner of the address confirms a sign-up with the token from the email."""

    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        request=ConfirmInput,
        responses={
            200: ConfirmOutput,
            **error_responses({400: "invalid_token, token_expired (after 48 hours)"}),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = ConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        reader = anonymous_reader_from_request(request)
        subscriber = newsletter_services.signup_confirm(
            token=data.validated_data["token"],
            anonymous_id=reader.anonymous_id if reader is not None else None,
        )
        slugs = subscriber.subscriptions.order_by("newsletter__position").values_list(
            "newsletter__slug", flat=True
        )
        return Response(ConfirmOutput({"newsletters": list(slugs)}).data)


class SubscriberFeedApi(APIView):
    """The email platform pages through a list's additions and removals (Api-Key)."""

    authentication_classes = (ApiKeyAuthentication,)
    permission_classes = (HasApiKey,)

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, required=False, description="A cursor; none: all."),
            OpenApiParameter("limit", int, required=False, description="1-500, default 100."),
        ],
        responses={200: FeedOutput, **error_responses({400: "invalid_cursor", 404: "not_found"})},
    )
    def get(self, request: Request, slug: str) -> Response:
        newsletter = get_object_or_404(Newsletter, slug=slug)
        since = newsletter_selectors.feed_cursor_parse(request.query_params.get("since"))
        limit_text = request.query_params.get("limit", "100")
        limit = int(limit_text) if limit_text.isdigit() else 100
        page = newsletter_selectors.subscriber_feed(newsletter=newsletter, since=since, limit=limit)
        body = {
            "results": page.results,
            "next": str(page.cursor) if page.more else None,
            "cursor": str(page.cursor),
        }
        return Response(FeedOutput(body).data)
