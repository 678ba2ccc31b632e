"""Newsletters fixtures (helpers: tests/helpers/newsletters.py)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def daily(db):
    from tests.factories import NewsletterFactory

    return NewsletterFactory(slug="daily", name="The Daily", default_at_registration=True)


@pytest.fixture
def weekly(db):
    from tests.factories import NewsletterFactory

    return NewsletterFactory(slug="weekly", name="The Weekly", frequency="weekly")


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def service_client(db) -> APIClient:
    from entitlements.api_keys import api_key_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_create(name='email platform').key}")
    return client
