"""One error type for business rules and one handler that shapes every API error.

Every error body under /api/ is {"detail": "human sentence", "code":
"machine_code"}, plus "fields": {"name": ["message"]} for validation errors
(docs/api.md, "Errors"), whatever the status and whoever answers: DRF's
exception handler for errors raised in views, the JSON handler400/404/500
views for Django's own errors with DEBUG off, and ApiErrorMiddleware for what
comes before a view (a bad Host, a malformed or oversized Content-Length) and
for anything else that would otherwise answer with HTML (Django's debug pages
with DEBUG on).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A business rule refused the operation; services raise it, the API shapes it."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"

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


# --- Django's own errors, and the middleware for /api/ --------------------------

API_PREFIX = "/api/"

# The body for an error that no more specific code describes, by status.
_GENERIC: dict[int, tuple[str, str]] = {
    400: ("The request is malformed.", "bad_request"),
    401: ("Authentication credentials were not provided.", "not_authenticated"),
    403: ("You do not have permission to perform this action.", "permission_denied"),
    404: ("Not found.", "not_found"),
    405: ("Method not allowed.", "method_not_allowed"),
    406: ("Could not satisfy the request Accept header.", "not_acceptable"),
    409: ("The request conflicts with the current state.", "conflict"),
    413: ("The request body is too large.", "payload_too_large"),
    415: ("Unsupported media type.", "unsupported_media_type"),
    429: ("Request was throttled.", "throttled"),
    500: ("Something went wrong on our side.", "server_error"),
    503: ("The service is unavailable; try again later.", "service_unavailable"),
}
_DIGITS = re.compile(r"[0-9]+")
# Django logs a refused Host under this name; so do we, so that filters set on it still apply.
security_logger = logging.getLogger("django.security.DisallowedHost")


def _contract_body(status_code: int) -> dict[str, str]:
    if status_code in _GENERIC:
        detail, code = _GENERIC[status_code]
    else:
        try:
            phrase = HTTPStatus(status_code).phrase
        except ValueError:
            phrase = "Error"
        detail, code = f"{phrase}.", re.sub(r"\W+", "_", phrase.lower()).strip("_")
    return {"detail": detail, "code": code}


def api_error(status_code: int, detail: str | None = None, code: str | None = None) -> JsonResponse:
    """A JSON error in the contract's shape: the generic words for the status unless given."""
    body = _contract_body(status_code)
    if detail is not None:
        body["detail"] = detail
    if code is not None:
        body["code"] = code
    return JsonResponse(body, status=status_code)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: Django's SuspiciousOperation answers (DEBUG off); JSON under /api/."""
    if not _is_api(request):
        # Django's view never reads the exception; the stubs require one, this may be None.
        return defaults.bad_request(request, exception)  # type: ignore[arg-type]
    if isinstance(exception, RequestDataTooBig):
        return api_error(413)
    if isinstance(exception, DisallowedHost):
        return _invalid_host()
    return api_error(400)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return api_error(404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return api_error(500)


def _invalid_host() -> JsonResponse:
    return api_error(400, "The Host header names a host this service does not serve.", "bad_host")


def _refused_before_the_view(request: HttpRequest) -> JsonResponse | None:
    """What Django would refuse later with an HTML page or a 500, refused here in JSON."""
    try:
        request.get_host()
    except DisallowedHost as exc:
        security_logger.error("%s", exc, extra={"status_code": 400, "request": request})
        return _invalid_host()
    length = request.META.get("CONTENT_LENGTH")
    if length:
        if not _DIGITS.fullmatch(length):
            return api_error(
                400, "The Content-Length header is not a number.", "invalid_content_length"
            )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and int(length) > limit:
            return api_error(413, f"The request body is larger than {limit} bytes.")
    return None


def _in_contract_shape(response: HttpResponseBase) -> bool:
    media_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    if not (media_type == "application/json" or media_type.endswith("+json")):
        return False
    if response.streaming:
        return False
    try:
        body = json.loads(cast(HttpResponse, response).content)  # not streaming: has content
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and isinstance(body.get("detail"), str)
        and isinstance(body.get("code"), str)
    )


def _reshaped(response: HttpResponseBase) -> HttpResponseBase:
    """An error response as the contract's JSON, keeping its status, headers and cookies."""
    if response.status_code < 400 or _in_contract_shape(response):
        return response
    replacement = api_error(response.status_code)
    for header, value in response.items():
        if header.lower() not in ("content-type", "content-length"):
            replacement[header] = value
    replacement.cookies = response.cookies
    return replacement


class ApiErrorMiddleware:
    """Every answer under /api/ in the JSON contract, never an HTML page (docs/operations.md).

    Outermost in MIDDLEWARE, so that it sees the request before anything asks
    for its host or reads its body, and every response last.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not _is_api(request):
            return self.get_response(request)
        refused = _refused_before_the_view(request)
        if refused is not None:
            return refused
        return _reshaped(self.get_response(request))
