"""GET /.well-known/jwks.json: the public keys edges verify tokens with."""

from __future__ import annotations

import pytest

from tests.helpers.edge import JWKS, issue, parts

pytestmark = pytest.mark.django_db


def test_the_jwks_is_public_cacheable_and_holds_public_keys_only(api_client):
    response = api_client.get(JWKS)

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    (key,) = response.json()["keys"]
    assert set(key) == {"kty", "crv", "kid", "x", "use", "alg"}
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")


def test_the_jwks_ignores_credentials(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert api_client.get(JWKS).status_code == 200


def test_tokens_name_the_published_key(reader_client, api_client):
    header, _, _ = parts(issue(reader_client))

    assert header["kid"] in {key["kid"] for key in api_client.get(JWKS).json()["keys"]}


def test_without_usable_keys_the_jwks_answers_503(api_client, settings, tmp_path):
    settings.ENTITLEMENT_SIGNING_KEYS = str(tmp_path / "missing.json")

    response = api_client.get(JWKS)

    assert response.status_code == 503
    assert response.json()["code"] == "signing_keys_unavailable"
