"""API clients for a given user."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier


def client_for(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def fire_together_as(requests_as, url):
    """POST each (body, token) to `url` at once, from as many threads (a live server)."""
    import requests

    barrier = Barrier(len(requests_as))

    def post(body_and_token):
        body, token = body_and_token
        barrier.wait()
        return requests.post(
            url, json=body, headers={"Authorization": f"Token {token}"}, timeout=60
        )

    with ThreadPoolExecutor(max_workers=len(requests_as)) as pool:
        return list(pool.map(post, requests_as))


def fire_together(bodies, url, token):
    """POST each body to `url` at once as the reader with `token`: the answers, in order."""
    return fire_together_as([(body, token) for body in bodies], url)


def subscription_creates(stripe):
    """The subscription creations the emulator was asked for (its request log)."""
    return [
        r for r in stripe.requests() if r["method"] == "POST" and r["path"] == "/v1/subscriptions"
    ]
