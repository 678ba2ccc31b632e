"""The entitlements endpoints, as the tests call them."""

from __future__ import annotations

ME = "/api/entitlements/me/"


def read_url(article_id: str) -> str:
    return f"/api/entitlements/articles/{article_id}/read/"


def read(client, article_id: str, **headers):
    return client.post(read_url(article_id), **headers)
