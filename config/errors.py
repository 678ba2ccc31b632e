"""One error type for business rules and one handler that shapes every API error.

Every error body is {"detail": "human sentence", "code": "machine_code"}, plus
"fields": {"name": ["message"]} for validation errors (docs/api.md, "Errors").
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A business rule refused the operation; services raise it, the API shapes it."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.fields = fields


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


def _first_error(detail: Any, path: str = "") -> tuple[str, str]:
    """The first (message, code) in a nested DRF error structure, with its field path."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            return _first_error(value, f"{path}.{name}" if path and name else path or name)
    if isinstance(detail, list) and detail:
        return _first_error(detail[0], path)
    message = str(detail)
    code = getattr(detail, "code", None) or "invalid"
    return (f"{path}: {message}" if path else message), code


def _as_fields(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _as_fields(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_as_fields(item) for item in detail]
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        data: dict[str, Any] = {"detail": exc.detail, "code": exc.code}
        if exc.fields:
            data["fields"] = exc.fields
        return Response(data, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handler answers (handler500)
    if not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message, code = _first_error(detail)
        response.data = {"detail": message, "code": code, "fields": _as_fields(detail)}
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = {"detail": str(exc.detail), "code": code}
    return response


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"detail": "Something went wrong on our side.", "code": "server_error"}, status=500
    )
