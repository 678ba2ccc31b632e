"""Entitlements fixtures: anonymous and service clients, and `committing` (on-commit hooks
run as a commit would). Helpers: tests/helpers/entitlements.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def anonymous_client() -> APIClient:
    """A browser without an account: it keeps the cookies it is given."""
    return APIClient()


@pytest.fixture
def service_key(db) -> str:
    from entitlements.api_keys import api_key_create

    return api_key_create(name="web renderer").key


@pytest.fixture
def service_client(service_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {service_key}")
    return client


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (billing's subscription_changed_hooks) as a commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
