"""API clients for a given user."""

from __future__ import annotations


def client_for(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def fire_together(bodies, url, token):
    """POST each body to `url` (a live server) at the same moment, one thread each, as the
    reader with `token`: the answers, in the bodies' order."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    import requests

    barrier = Barrier(len(bodies))

    def post(body):
        barrier.wait()
        return requests.post(
            url, json=body, headers={"Authorization": f"Token {token}"}, timeout=60
        )

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def subscription_creates(stripe):
    """The subscription creations the emulator was asked for (its request log)."""
    return [
        r for r in stripe.requests() if r["method"] == "POST" and r["path"] == "/v1/subscriptions"
    ]
