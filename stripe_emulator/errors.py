"""Stripe's error body and status codes (docs/emulator-lifecycle.md, "Errors")."""

from __future__ import annotations

from typing import Any

DOC_BASE = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An error answered with Stripe's `{"error": {...}}` body."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.headers = headers or {}
        self.extra = extra

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC_BASE + self.code.replace("_", "-")
        if self.param is not None:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        error.update(self.extra)
        if request_id:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(message, status=400, code=code, param=param)


def missing_param(name: str) -> StripeError:
    return StripeError(
        f"Missing required param: {name}.", status=400, code="parameter_missing", param=name
    )


def unknown_param(name: str) -> StripeError:
    return StripeError(
        f"Received unknown parameter: {name}", status=400, code="parameter_unknown", param=name
    )


def no_such(noun: str, object_id: str, *, param: str = "id", status: int = 404) -> StripeError:
    return StripeError(
        f"No such {noun}: '{object_id}'", status=status, code="resource_missing", param=param
    )


def unrecognized_url(method: str, path: str) -> StripeError:
    return StripeError(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
        status=404,
    )


def card_error(
    message: str,
    *,
    code: str = "card_declined",
    decline_code: str | None = None,
    param: str | None = None,
    **extra: Any,
) -> StripeError:
    return StripeError(
        message,
        status=402,
        type="card_error",
        code=code,
        decline_code=decline_code,
        param=param,
        **extra,
    )


def authentication(message: str) -> StripeError:
    return StripeError(message, status=401)


def idempotency_mismatch(key: str) -> StripeError:
    return StripeError(
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{key}' if you meant to execute a "
        "different request.",
        status=400,
        type="idempotency_error",
    )


def api_error(message: str = "An unknown error occurred", status: int = 500) -> StripeError:
    return StripeError(message, status=status, type="api_error")


def rate_limit(should_retry: bool = True) -> StripeError:
    return StripeError(
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        status=429,
        code="rate_limit",
        headers={"Stripe-Should-Retry": "true" if should_retry else "false"},
    )
