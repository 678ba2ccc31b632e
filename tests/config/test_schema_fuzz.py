"""Schemathesis against /api/schema/: no input makes the API fail, every answer is documented.

Every operation in the OpenAPI schema is called with generated input, valid
and invalid (schemathesis's examples, coverage and fuzzing phases), in
process through the WSGI application, with a reader's Token or a service's
Api-Key as the operation asks, and the Stripe emulator behind billing. Each
response must not be a 5xx, must have a status the schema documents for the
operation, a documented content type, and a body that conforms to the schema
for that status (the `Error` component for every error).

Bounded and reproducible: a fixed number of examples per operation and
derandomized generation (the same inputs on every run, about a minute on two
cores). No operation is excluded; what needs care:

- the Stripe webhook: generated events are signed with the test secret, so
  that the body behind the signature is what is fuzzed (unsigned, every one
  would be the same 400);
- sign-in, registration and password reset are throttled per client and per
  address: the rates are raised here so that generated input reaches the
  views rather than the throttle (the 429s are tested in tests/accounts);
- logout deletes the reader's token and DELETE /api/auth/user/ the account:
  both are made again before every call;
- the subscription operations start from a reader with a live trial, made
  once per operation; calls then change it as they will (cancel, resume...).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.billing.webhooks import WEBHOOK_URL, stripe_signature

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# The login example in the schema (support/api.py) signs in as this reader.
READER_EMAIL = "reader@example.com"
READER_PASSWORD = "correct-horse-battery-staple"


@schemathesis.check
def error_in_the_contract_shape(ctx, response, case):
    """Every error is JSON {"detail", "code"}, also where the schema checks do not look.

    (schemathesis also calls operations with methods they do not have, and
    skips its schema checks for those: a 405 must still be in the contract.)
    """
    if response.status_code < 400:
        return None
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), (
        f"{response.status_code} is not JSON: {response.headers.get('content-type')}"
    )
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("detail"), str), body
    assert isinstance(body.get("code"), str), body
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_in_the_contract_shape,
]


def _load_schema():
    """The schema as the API serves it at /api/schema/, read through the WSGI application."""
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, config=schemathesis.Config.from_dict({})
    )


schema = _load_schema()


@pytest.fixture
def wsgi_app():
    """The WSGI application, sharing the test's database connection and transaction.

    Django closes the connection at the end of every request; its own test
    client stops that, and so does this fixture, for as long as the test runs.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from config.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def unthrottled(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "100000/min"),
    }


@pytest.fixture
def service_key(db):
    from entitlements.api_keys import api_key_create

    return api_key_create(name="schema fuzz").key


@pytest.fixture
def prepared():
    """What has been set up for this operation (fixtures are per operation, not per example)."""
    return {}


def _reader():
    """The reader, made again if a generated call deleted the account."""
    from accounts.models import User
    from tests.factories import UserFactory

    user = User.objects.filter(email=READER_EMAIL, is_active=True).first()
    if user is None:
        user = UserFactory(email=READER_EMAIL, password=READER_PASSWORD)
    return user


def _reader_token() -> str:
    """The reader's token, made again if a generated call logged out."""
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=_reader())
    return token.key


def _credentials(case, service_key: str) -> dict[str, str]:
    schemes = {
        name
        for requirement in case.operation.definition.raw.get("security", [])
        for name in requirement
    }
    if schemes == {"ApiKeyAuth"}:
        return {"Authorization": f"Api-Key {service_key}"}
    if "tokenAuth" in schemes:
        return {"Authorization": f"Token {_reader_token()}"}
    return {}


def _prepare(case, prepared: dict) -> dict[str, str]:
    """Headers and state this operation needs before the call."""
    from billing.services import subscription_start_trial

    path = case.operation.path
    if path.startswith("/api/billing/subscription/") and not prepared:
        subscription_start_trial(
            user=_reader(), plan_code="monthly", payment_method_id="pm_card_visa"
        )
        prepared["trial"] = True
    if path == WEBHOOK_URL and isinstance(case.body, dict | list | str | int | float | bool):
        # Signed over the exact bytes sent: schemathesis sends bytes as they are.
        case.body = json.dumps(case.body).encode()
        return {"Stripe-Signature": stripe_signature(case.body)}
    return {}


@schema.parametrize()
@settings(
    max_examples=50,
    derandomize=True,
    database=None,
    deadline=None,
    # Fixtures are per operation and shared by its examples, on purpose (see above).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_fails_the_api_and_every_answer_is_documented(
    case, plans, wsgi_app, unthrottled, service_key, prepared
):
    headers = {**_credentials(case, service_key), **_prepare(case, prepared)}

    case.call_and_validate(headers=headers, checks=CHECKS)
