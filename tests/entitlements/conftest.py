"""Entitlements fixtures: anonymous and service clients, and small helpers."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import client_for

__all__ = ["client_for"]

ME = "/api/entitlements/me/"


def read_url(article_id: str) -> str:
    return f"/api/entitlements/articles/{article_id}/read/"


def read(client, article_id: str, **headers):
    return client.post(read_url(article_id), **headers)


@pytest.fixture
def anonymous_client() -> APIClient:
    """A browser without an account: it keeps the cookies it is given."""
    return APIClient()


@pytest.fixture
def service_key(db) -> str:
    from entitlements.services import api_key_create

    return api_key_create(name="web renderer").key


@pytest.fixture
def service_client(service_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {service_key}")
    return client
