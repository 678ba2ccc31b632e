"""The OpenAPI schema's error responses: one shared `Error` component.

Every error under /api/ has one shape (config/errors.py). The errors any
operation can give by the way it is built are documented here, once:

- 400 for every operation (malformed input; a bad Host or Content-Length);
- 406 for every operation (an Accept header that JSON does not satisfy);
- 401 where credentials are read (a wrong or revoked one is refused even
  where none is needed);
- 413 where a body is read, and 415 where it must be JSON;
- 429 where the view is throttled.

The errors an operation gives by its own rules (402 card declined, 404, 409
conflicts, 503 Stripe unreachable) are named on the view with
`error_responses({...})`, whose descriptions take precedence.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.parsers import JSONParser


class ErrorSerializer(serializers.Serializer):
    """{"detail": "human sentence", "code": "machine_code", "fields": {"name": ["message"]}}."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence for people.")
    code = serializers.CharField(help_text="What went wrong, for programs: a stable identifier.")

    def get_fields(self) -> dict[str, serializers.Field]:
        # Added here: a declared attribute named `fields` would shadow Serializer.fields.
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Validation errors only: the messages for each input field.",
        )
        return fields


def error_responses(descriptions: dict[int, str]) -> dict[int, OpenApiResponse]:
    """`extend_schema(responses=...)` entries: each status with the Error body and its causes."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=description)
        for status, description in descriptions.items()
    }


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, adding the errors every operation gives by construction."""

    def _generic_errors(self) -> dict[int, str]:
        view = self.view
        errors = {
            400: "The request is malformed or its input invalid (see `fields`).",
            406: "The Accept header asks for something other than JSON.",
        }
        if view.get_authenticators():
            errors[401] = "The credentials are missing (where needed), wrong or revoked."
        reads_body = (
            self.method in ("PUT", "PATCH", "POST") and self.get_request_serializer() is not None
        )
        if reads_body:
            errors[413] = "The request body is too large."
            if any(isinstance(parser, JSONParser) for parser in view.get_parsers()):
                errors[415] = "The request body is not JSON."
        if view.get_throttles():
            errors[429] = "Too many requests: try again later (see Retry-After)."
        return errors

    # drf-spectacular builds an operation's responses here (0.28-0.30); the
    # generic errors are added to whatever the view declared, never over it.
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if not self.path.startswith("/api/"):
            return responses
        for status, description in self._generic_errors().items():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description),
                    str(status),
                    direction=direction,
                )
        return dict(sorted(responses.items()))
