"""`Authorization: Api-Key <key>`: server-side surfaces asking on a reader's behalf."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from entitlements.api_keys import ServiceKey, api_key_authenticate

KEYWORD = "Api-Key"


class ApiKeyAuthentication(BaseAuthentication):
    """A wrong or revoked key is a 401; no Api-Key header leaves the request to others.

    The caller is not a user: request.user stays anonymous and request.auth is
    the ServiceKey.
    """

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ServiceKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the key as 'Authorization: Api-Key <key>'.", code="invalid_api_key"
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(
                "Invalid API key.", code="invalid_api_key"
            ) from exc
        service = api_key_authenticate(key=key)
        if service is None:
            raise exceptions.AuthenticationFailed("Invalid API key.", code="invalid_api_key")
        return AnonymousUser(), service

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class HasApiKey(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ServiceKey)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "entitlements.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Api-Key <key>",
        }
