"""The reference verifiers in examples/edge/ against tokens the service issued.

Tokens are issued through the API (a reader with a grant, metered readers, a
key rotation through `manage.py entitlement_keys`), written with the JWKS the
service publishes to a file, and checked by the Python verifier here and by
the JavaScript worker under node's test runner (`node --test examples/edge/`).
Without node the JavaScript part is skipped, unless REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from entitlements.services import grant_create
from tests.factories import UserFactory
from tests.helpers.clients import client_for
from tests.helpers.edge import b64, forged, issue, jwks, parts
from tests.helpers.entitlements import read, read_url
from tests.helpers.services import REQUIRE_SERVICES

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "edge"


def keys_command(*args: str) -> None:
    call_command("entitlement_keys", *args, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.fixture
def fixtures(settings, tmp_path, anonymous_client) -> dict:
    """Tokens issued by the service, the JWKS during and after a rotation's overlap."""
    key_file = tmp_path / "keys.json"
    settings.ENTITLEMENT_SIGNING_KEYS = str(key_file)
    keys_command("generate")

    subscriber = UserFactory()
    grant_create(
        reader=subscriber, ends_at=timezone.now() + timedelta(days=30), reason="x", granted_by=None
    )
    subscriber_client = client_for(subscriber)
    rotated = issue(subscriber_client)  # signed by the first key
    keys_command("generate")
    upcoming = next(
        k["kid"] for k in json.loads(key_file.read_text())["keys"] if k["state"] == "next"
    )
    keys_command("activate", upcoming)

    metered = client_for(UserFactory())
    read(metered, "counted")
    spent = client_for(UserFactory())
    for article in ("one", "two", "three"):
        read(spent, article)
    answer = anonymous_client.post(read_url("counted") + "?token=1").json()
    with time_machine.travel(time.time() + settings.ENTITLEMENT_TOKEN_SECONDS + 31, tick=False):
        after_overlap = jwks(anonymous_client)
    return {
        "issuer": settings.ENTITLEMENT_TOKEN_ISSUER,
        "audience": settings.ENTITLEMENT_TOKEN_AUDIENCE,
        "jwks": jwks(anonymous_client),
        "jwks_during_overlap": jwks(anonymous_client),
        "jwks_after_overlap": after_overlap,
        "tokens": {
            "unlimited": issue(subscriber_client),
            "metered": issue(metered),
            "limit_reached": issue(spent),
            "rotated": rotated,
        },
        "read_answer": answer,
    }


def test_the_javascript_worker_passes_its_tests_against_issued_tokens(fixtures, tmp_path):
    node = shutil.which("node")
    if node is None:
        message = "node is not installed (the CI machine has it: .ci/run)"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}; REQUIRE_SERVICES is set, so this cannot be skipped")
        pytest.skip(message)
    path = tmp_path / "edge-fixtures.json"
    path.write_text(json.dumps(fixtures))

    result = subprocess.run(  # noqa: S603 - node and our own example
        [node, "--test", str(EXAMPLES)],
        env={"PATH": "/usr/bin:/bin", "EDGE_FIXTURES": str(path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
    assert "# skipped 0" in result.stdout, result.stdout


def load_python_verifier():
    spec = importlib.util.spec_from_file_location("edge_verify", EXAMPLES / "verify.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_python_verifier_decides_from_issued_tokens(fixtures):
    edge = load_python_verifier()
    verifier = edge.EdgeVerifier(
        fixtures["jwks"], issuer=fixtures["issuer"], audience=fixtures["audience"]
    )
    tokens = fixtures["tokens"]

    assert edge.decide(verifier.verify(tokens["unlimited"]), "any") == "full"
    assert edge.decide(verifier.verify(tokens["metered"]), "counted") == "full"
    assert edge.decide(verifier.verify(tokens["metered"]), "new") == "ask"
    assert edge.decide(verifier.verify(tokens["limit_reached"]), "new") == "teaser"
    assert edge.decide(verifier.verify(tokens["rotated"]), "any") == "full"  # during the overlap
    assert edge.decide(None, "new") == "ask"


def test_the_python_verifier_refuses_what_an_edge_must_refuse(fixtures):
    edge = load_python_verifier()
    verifier = edge.EdgeVerifier(
        fixtures["jwks"], issuer=fixtures["issuer"], audience=fixtures["audience"]
    )
    header, claims, signature = parts(fixtures["tokens"]["limit_reached"])
    after = edge.EdgeVerifier(
        fixtures["jwks_after_overlap"], issuer=fixtures["issuer"], audience=fixtures["audience"]
    )
    refused = {
        "tampered": forged(header, {**claims, "access": "unlimited"}, signature),
        "alg none": forged({**header, "alg": "none"}, claims, ""),
        "HS256": forged({**header, "alg": "HS256"}, claims, b64(b"x" * 32)),
        "unknown kid": forged({**header, "kid": "k-unknown"}, claims, signature),
    }
    for token in refused.values():
        with pytest.raises(edge.InvalidToken):
            verifier.verify(token)
    verifier.verify(fixtures["tokens"]["limit_reached"])  # verified once, remembered
    with time_machine.travel(claims["exp"] + 31, tick=False), pytest.raises(edge.InvalidToken):
        verifier.verify(fixtures["tokens"]["limit_reached"])
    with pytest.raises(edge.InvalidToken, match="no published key"):
        after.verify(fixtures["tokens"]["rotated"])
    other = edge.EdgeVerifier(fixtures["jwks"], issuer=fixtures["issuer"], audience="another")
    with pytest.raises(edge.InvalidToken, match=r"(?i)audience"):
        other.verify(fixtures["tokens"]["metered"])
