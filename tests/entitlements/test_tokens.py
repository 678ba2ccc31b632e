"""POST /api/entitlements/token/: the decision, signed, for an edge to verify offline."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from entitlements.services import grant_create
from entitlements.tokens import InvalidToken, token_verify
from tests.helpers.edge import TOKEN, b64, forged, issue, jwks, parts, verified
from tests.helpers.entitlements import read, read_url

pytestmark = pytest.mark.django_db


def test_a_metered_reader_gets_a_token_saying_what_the_meter_says(reader, reader_client):
    read(reader_client, "first")

    response = reader_client.post(TOKEN)

    assert response.status_code == 200
    body = response.json()
    claims = verified(reader_client, body["token"])
    assert claims["sub"] == f"u{reader.pk}"
    assert claims["access"] == "metered"
    assert claims["reason"] == "metered"
    assert claims["until"] is None
    assert claims["meter"]["limit"] == 3
    assert claims["meter"]["used"] == 1
    assert claims["meter"]["remaining"] == 2
    assert claims["meter"]["articles"] == ["first"]
    assert claims["iss"] == "paywall-billing"
    assert claims["aud"] == "paywall-edge"
    assert claims["ver"] >= 1
    assert (
        body["expires_at"] == datetime.fromtimestamp(claims["exp"], tz=UTC).isoformat()[:-6] + "Z"
    )
    header, _, _ = parts(body["token"])
    assert header["alg"] == "EdDSA"
    assert header["kid"] == jwks(reader_client)["keys"][0]["kid"]


def test_a_token_lives_five_minutes_by_default_and_as_configured(reader_client, settings):
    claims = verified(reader_client, issue(reader_client))
    assert claims["exp"] - claims["iat"] == 300

    settings.ENTITLEMENT_TOKEN_SECONDS = 60
    claims = verified(reader_client, issue(reader_client))
    assert claims["exp"] - claims["iat"] == 60


def test_exp_is_never_later_than_until(reader, reader_client):
    ends_at = timezone.now() + timedelta(seconds=90)
    grant_create(reader=reader, ends_at=ends_at, reason="press pass", granted_by=None)

    claims = verified(reader_client, issue(reader_client))

    assert claims["access"] == "unlimited"
    assert claims["reason"] == "grant"
    assert claims["until"] == int(ends_at.timestamp())
    assert claims["exp"] <= claims["until"]


def test_exp_is_never_later_than_the_meter_reset(reader_client):
    with time_machine.travel(datetime(2026, 3, 31, 23, 58, tzinfo=UTC), tick=False):
        claims = verified(reader_client, issue(reader_client))

    assert claims["meter"]["resets_at"] == int(datetime(2026, 4, 1, tzinfo=UTC).timestamp())
    assert claims["exp"] == claims["meter"]["resets_at"]


def test_an_anonymous_reader_gets_a_token_and_a_reader_id(anonymous_client):
    response = anonymous_client.post(TOKEN)

    assert response.status_code == 200
    reader_id = response["X-Reader-Id"]
    claims = verified(anonymous_client, response.json()["token"])
    assert claims["sub"].startswith("a")
    assert claims["meter"]["articles"] == []

    read(anonymous_client, "first", HTTP_X_READER_ID=reader_id)
    claims = verified(anonymous_client, issue(anonymous_client, HTTP_X_READER_ID=reader_id))
    assert claims["meter"]["articles"] == ["first"]


def test_a_server_side_surface_gets_a_token_on_a_readers_behalf(reader, service_client):
    claims = verified(service_client, issue(service_client, HTTP_X_USER_ID=str(reader.pk)))

    assert claims["sub"] == f"u{reader.pk}"


def test_a_wrong_token_credential_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token nope")

    response = api_client.post(TOKEN)

    assert response.status_code == 401


def test_the_read_endpoint_returns_a_fresh_token_when_asked(reader_client):
    plain = reader_client.post(read_url("first")).json()
    assert "token" not in plain

    body = reader_client.post(read_url("second") + "?token=1").json()

    assert body["granted"] is True
    claims = verified(reader_client, body["token"])
    assert claims["meter"]["articles"] == ["first", "second"]
    assert claims["meter"]["remaining"] == 1
    assert body["expires_at"]


def test_a_new_anonymous_readers_first_read_is_in_the_token_it_gets(anonymous_client):
    response = anonymous_client.post(read_url("first") + "?token=1")

    claims = verified(anonymous_client, response.json()["token"])
    assert claims["sub"] == "a" + response["X-Reader-Id"].split(":")[0]
    assert claims["meter"]["articles"] == ["first"]


def test_without_usable_keys_tokens_are_refused_with_503(reader_client, settings, tmp_path):
    settings.ENTITLEMENT_SIGNING_KEYS = str(tmp_path / "missing.json")

    response = reader_client.post(TOKEN)

    assert response.status_code == 503
    assert response.json()["code"] == "signing_keys_unavailable"


# --- verification: what an edge must refuse ---------------------------------------


def test_an_expired_token_is_refused_after_the_leeway_only(reader_client):
    keys = jwks(reader_client)
    token = issue(reader_client)
    exp = parts(token)[1]["exp"]

    with time_machine.travel(exp + 29, tick=False):
        assert token_verify(token, jwks=keys)["exp"] == exp  # within 30 s of clock skew
    with time_machine.travel(exp + 31, tick=False), pytest.raises(InvalidToken, match="expired"):
        token_verify(token, jwks=keys)


def test_a_token_from_the_future_is_refused_beyond_the_leeway(reader_client):
    keys = jwks(reader_client)
    token = issue(reader_client)
    iat = parts(token)[1]["iat"]

    with time_machine.travel(iat - 60, tick=False), pytest.raises(InvalidToken):
        token_verify(token, jwks=keys)


def test_tampered_claims_are_refused(reader_client):
    header, claims, signature = parts(issue(reader_client))
    claims["access"] = "unlimited"

    with pytest.raises(InvalidToken, match="Signature"):
        token_verify(forged(header, claims, signature), jwks=jwks(reader_client))


def test_alg_none_is_refused(reader_client):
    header, claims, _ = parts(issue(reader_client))

    with pytest.raises(InvalidToken, match="not accepted"):
        token_verify(forged({**header, "alg": "none"}, claims, ""), jwks=jwks(reader_client))


def test_hs256_keyed_with_the_public_key_is_refused(reader_client):
    keys = jwks(reader_client)
    header, claims, _ = parts(issue(reader_client))
    header = {**header, "alg": "HS256"}
    unsigned = forged(header, claims, "").rsplit(".", 1)[0]
    for secret in (keys["keys"][0]["x"].encode(), str(keys["keys"][0]).encode()):
        mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()

        with pytest.raises(InvalidToken, match="not accepted"):
            token_verify(f"{unsigned}.{b64(mac)}", jwks=keys)


def test_an_unknown_kid_is_refused(reader_client):
    header, claims, signature = parts(issue(reader_client))

    with pytest.raises(InvalidToken, match="no published key"):
        token_verify(
            forged({**header, "kid": "k-other"}, claims, signature), jwks=jwks(reader_client)
        )


@pytest.mark.parametrize(
    ("setting", "other", "ours", "refusal"),
    [
        ("ENTITLEMENT_TOKEN_AUDIENCE", "another-site", "paywall-edge", r"(?i)audience"),
        ("ENTITLEMENT_TOKEN_ISSUER", "someone-else", "paywall-billing", r"(?i)issuer"),
    ],
    ids=["audience", "issuer"],
)
def test_another_audience_or_issuer_is_refused(
    reader_client, settings, setting, other, ours, refusal
):
    keys = jwks(reader_client)
    setattr(settings, setting, other)
    token = issue(reader_client)
    setattr(settings, setting, ours)

    with pytest.raises(InvalidToken, match=refusal):
        token_verify(token, jwks=keys)
