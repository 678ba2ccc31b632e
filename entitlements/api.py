"""Entitlements endpoints: one APIView per operation (docs/api.md, "Entitlements").

Readers call them with their Token, or anonymously (metered by their signed
reader id); server-side surfaces call them with an Api-Key on a reader's
behalf (X-User-Id or X-Reader-Id).
"""

from __future__ import annotations

import re
from dataclasses import replace

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import ApplicationError
from config.schema import error_responses
from entitlements.api_keys import ServiceKey
from entitlements.authentication import ApiKeyAuthentication, HasApiKey
from entitlements.readers import (
    READER_ID_COOKIE,
    READER_ID_HEADER,
    Reader,
    reader_id_new,
    reader_id_presented,
    reader_id_verify,
)
from entitlements.selectors import entitlement_decide
from entitlements.serializers import (
    EdgeTokenSerializer,
    EntitlementSerializer,
    JwksSerializer,
    ReadOutcomeSerializer,
    entitlement_data,
    read_outcome_data,
    token_data,
)
from entitlements.services import entitlement_read_article
from entitlements.tokens import JWKS_MAX_AGE_SECONDS, jwks_document, token_issue

USER_ID_HEADER = "X-User-Id"
_USER_ID = re.compile(r"^[1-9][0-9]{0,17}$")
COOKIE_MAX_AGE = 365 * 24 * 60 * 60

READER_PARAMETERS = [
    OpenApiParameter(
        READER_ID_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="The anonymous reader's signed id (or the reader_id cookie); "
        "a new one comes back in this header when none is sent.",
    ),
    OpenApiParameter(
        USER_ID_HEADER,
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        description="With an Api-Key only: the account to answer for.",
    ),
]
ERRORS = error_responses(
    {
        400: "invalid_reader_id, invalid_user_id, invalid_article_id",
        401: "wrong or revoked credentials",
        403: "api_key_required: X-User-Id without an Api-Key",
        404: "reader_not_found",
    }
)
TOKEN_ERRORS = {**ERRORS, **error_responses({503: "signing_keys_unavailable"})}
WANT_TOKEN = OpenApiParameter(
    "token",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="1: the answer also carries a fresh edge token (and its expires_at).",
)


def _reader_for(request: Request) -> tuple[Reader, str | None]:
    """The reader a request is about, and a newly minted reader id to hand back (or None)."""
    is_service = isinstance(request.auth, ServiceKey)
    user_id = request.headers.get(USER_ID_HEADER)
    if user_id is not None:
        if not is_service:
            raise ApplicationError(
                "X-User-Id is only for server-side callers with an Api-Key.",
                code="api_key_required",
                status_code=403,
            )
        if not _USER_ID.match(user_id):
            raise ApplicationError("X-User-Id must be a user id.", code="invalid_user_id")
        return Reader(user_id=int(user_id)), None
    if request.user.is_authenticated:
        return Reader.for_user(request.user), None
    token = reader_id_presented(headers=request.headers, cookies=request.COOKIES)
    if token is None:
        return reader_id_new()
    return reader_id_verify(token), None


def _hand_back(response: Response, token: str | None) -> Response:
    if token is not None:
        response[READER_ID_HEADER] = token
        response.set_cookie(
            READER_ID_COOKIE,
            token,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite=settings.READER_ID_COOKIE_SAMESITE,
            # SameSite=None is refused by browsers without Secure.
            secure=not settings.DEBUG or settings.READER_ID_COOKIE_SAMESITE == "None",
        )
    return response


class _ReaderApi(APIView):
    authentication_classes = [ApiKeyAuthentication, TokenAuthentication]
    permission_classes = [AllowAny]


class EntitlementMeApi(_ReaderApi):
    @extend_schema(
        operation_id="entitlements_me",
        parameters=READER_PARAMETERS,
        responses={200: EntitlementSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        reader, token = _reader_for(request)
        decision = entitlement_decide(reader=reader)
        return _hand_back(Response(entitlement_data(decision)), token)


class ArticleReadApi(_ReaderApi):
    @extend_schema(
        operation_id="entitlements_article_read",
        request=None,
        parameters=[*READER_PARAMETERS, WANT_TOKEN],
        responses={200: ReadOutcomeSerializer, **TOKEN_ERRORS},
    )
    def post(self, request: Request, article_id: str) -> Response:
        reader, token = _reader_for(request)
        outcome = entitlement_read_article(reader=reader, article_id=article_id)
        data = read_outcome_data(outcome)
        if request.query_params.get("token") in ("1", "true"):
            # After the read: the meter (and the version) the token carries include it,
            # a reader id minted for this request included (it has read something now).
            reader = replace(reader, is_new=False)
            decision = entitlement_decide(reader=reader)
            data.update(token_data(token_issue(reader=reader, decision=decision)))
        return _hand_back(Response(data), token)


class EntitlementTokenApi(_ReaderApi):
    """The decision as a signed token an edge verifies offline (docs/api.md, "Edge tokens")."""

    @extend_schema(
        operation_id="entitlements_token",
        request=None,
        parameters=READER_PARAMETERS,
        responses={200: EdgeTokenSerializer, **TOKEN_ERRORS},
    )
    def post(self, request: Request) -> Response:
        reader, minted = _reader_for(request)
        issued = token_issue(reader=reader, decision=entitlement_decide(reader=reader))
        return _hand_back(Response(token_data(issued)), minted)


class JwksApi(APIView):
    """The public keys of edge tokens: public, cacheable (JWKS_MAX_AGE_SECONDS)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="entitlements_jwks",
        auth=[],
        responses={
            200: JwksSerializer,
            **error_responses({400: "a Host that is not allowed", 503: "signing_keys_unavailable"}),
        },
    )
    def get(self, request: Request) -> Response:
        response = Response(jwks_document())
        response["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
        return response


class ReaderEntitlementApi(APIView):
    """A server-side surface asks about one account by id (Api-Key only)."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]

    @extend_schema(
        operation_id="entitlements_reader",
        responses={200: EntitlementSerializer, 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request: Request, user_id: int) -> Response:
        decision = entitlement_decide(reader=Reader(user_id=user_id))
        return Response(entitlement_data(decision))
