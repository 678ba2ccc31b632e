"""The real API plus the bench's baseline: a bare DRF view returning constant JSON.

The bare view keeps the project's DRF defaults (Token authentication,
IsAuthenticated), so that both sides of the ratio pay for the same request
handling and authentication; the difference is the entitlements decision.
"""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.webhook_drain import BENCH_TABLE
from config.urls import urlpatterns as project_urlpatterns

CONSTANT = {
    "access": "metered",
    "reason": "metered",
    "until": None,
    "metered": {"limit": 3, "used": 1, "remaining": 2, "resets_at": "2026-12-01T00:00:00Z"},
}


class BareApi(APIView):
    def get(self, request: Request) -> Response:
        return Response(CONSTANT)


urlpatterns = [path("bench/bare/", BareApi.as_view()), *project_urlpatterns]


class BarePostApi(APIView):
    """The baseline for unauthenticated POSTs (Stripe's webhooks, anonymous metered
    reads): no authentication, the body read, constant JSON back."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def post(self, request: Request) -> Response:
        return Response({"received": True, "size": len(request.body)})


urlpatterns.insert(0, path("bench/bare-post/", BarePostApi.as_view()))


class DurableInsertPostApi(BarePostApi):
    """The floor of any durable webhook: the bare POST plus one INSERT ... ON CONFLICT
    of the body, committed (autocommit), into a table of its own (bench/webhook_ingest.py
    makes it). It tells what storing a body before answering costs on this machine,
    apart from anything our webhook does besides."""

    def post(self, request: Request) -> Response:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {BENCH_TABLE} (id, body) VALUES (%s, %s) "  # noqa: S608 - constant
                "ON CONFLICT (id) DO NOTHING",
                [request.headers.get("X-Bench-Id", ""), request.body.decode()],
            )
        return Response({"received": True, "size": len(request.body)})


urlpatterns.insert(0, path("bench/durable-post/", DurableInsertPostApi.as_view()))
