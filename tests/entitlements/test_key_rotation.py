"""Keys rotate with overlap: `manage.py entitlement_keys generate | activate KID | retire KID`.

The key set is a file (a mounted secret) that the command rewrites and the
service reads again when it changes; tokens signed by a retired key verify
while they may still be alive (the overlap), then never again.
"""

from __future__ import annotations

import io
import json
import time

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from entitlements.tokens import InvalidToken, token_verify
from tests.helpers.edge import issue, jwks, parts, verified
from tests.helpers.settings_probe import PRODUCTION, start

pytestmark = pytest.mark.django_db


def keys_command(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("entitlement_keys", *args, stdout=out, stderr=err)
    return out.getvalue()


def states(path) -> dict[str, str]:
    return {key["kid"]: key["state"] for key in json.loads(path.read_text())["keys"]}


@pytest.fixture
def key_file(settings, tmp_path):
    """The service's key set in a file, with its first key (current), as an operator starts."""
    path = tmp_path / "entitlement-keys.json"
    settings.ENTITLEMENT_SIGNING_KEYS = str(path)
    keys_command("generate")
    return path


def kid_of(state: str, path) -> str:
    return next(kid for kid, s in states(path).items() if s == state)


def test_the_first_key_signs_and_private_parts_stay_in_the_file(key_file, reader_client):
    (kid,) = states(key_file)

    assert states(key_file) == {kid: "current"}
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert parts(issue(reader_client))[0]["kid"] == kid
    assert all("d" not in key for key in jwks(reader_client)["keys"])


def test_a_next_key_is_published_before_it_signs(key_file, reader_client):
    current = kid_of("current", key_file)

    keys_command("generate")
    upcoming = kid_of("next", key_file)

    assert {key["kid"] for key in jwks(reader_client)["keys"]} == {current, upcoming}
    assert parts(issue(reader_client))[0]["kid"] == current


def test_a_rotated_key_still_verifies_during_its_overlap_and_not_after(key_file, reader_client):
    old_kid = kid_of("current", key_file)
    old_token = issue(reader_client)
    keys_command("generate")
    new_kid = kid_of("next", key_file)

    keys_command("activate", new_kid)

    assert states(key_file) == {old_kid: "retired", new_kid: "current"}
    assert parts(issue(reader_client))[0]["kid"] == new_kid
    assert verified(reader_client, old_token)["sub"]  # the old key is still published
    exp = parts(old_token)[1]["exp"]
    with time_machine.travel(time.time() + 300 + 31, tick=False):
        published = jwks(reader_client)
        assert [key["kid"] for key in published["keys"]] == [new_kid]
        with (
            time_machine.travel(exp, tick=False),
            pytest.raises(InvalidToken, match="no published"),
        ):
            token_verify(old_token, jwks=published)


def test_retiring_the_signing_key_is_refused(key_file):
    with pytest.raises(CommandError, match="activate another key first"):
        keys_command("retire", kid_of("current", key_file))


def test_a_compromised_key_is_unpublished_at_once(key_file, reader_client):
    old_kid = kid_of("current", key_file)
    keys_command("generate")
    keys_command("activate", kid_of("next", key_file))

    keys_command("retire", old_kid, "--immediately")

    assert old_kid not in states(key_file)
    assert old_kid not in {key["kid"] for key in jwks(reader_client)["keys"]}


def test_a_retired_key_past_its_overlap_leaves_the_file(key_file):
    old_kid = kid_of("current", key_file)
    keys_command("generate")
    keys_command("activate", kid_of("next", key_file))

    with time_machine.travel(time.time() + 331, tick=False):
        keys_command("generate")

    assert old_kid not in states(key_file)


def test_only_a_next_key_can_be_activated(key_file):
    with pytest.raises(CommandError, match="only a next key"):
        keys_command("activate", kid_of("current", key_file))
    with pytest.raises(CommandError, match="no key has kid"):
        keys_command("activate", "k-unknown")


def test_a_key_set_in_the_environment_is_printed_for_the_operator(settings):
    from entitlements.signing_keys import CURRENT, key_new

    settings.ENTITLEMENT_SIGNING_KEYS = json.dumps({"keys": [key_new(now=1, state=CURRENT)]})

    printed = json.loads(keys_command("generate"))

    assert [key["state"] for key in printed["keys"]] == ["current", "next"]


def test_the_system_check_names_an_unusable_key_set(settings, tmp_path):
    from entitlements.checks import signing_keys_usable

    settings.ENTITLEMENT_SIGNING_KEYS = str(tmp_path / "missing.json")

    (error,) = signing_keys_usable()
    assert error.id == "entitlements.E002"


def test_production_refuses_to_start_without_a_key_set():
    env = {k: v for k, v in PRODUCTION.items() if k != "ENTITLEMENT_SIGNING_KEYS"}

    result = start(env)

    assert result.returncode != 0
    assert "ENTITLEMENT_SIGNING_KEYS must be set when DEBUG is off" in result.stderr


def test_debug_signs_with_a_development_key_the_same_in_every_process():
    code = (
        "import django, json; django.setup()\n"
        "from entitlements.tokens import jwks_document\n"
        "print(json.dumps(jwks_document()))"
    )

    first, second = start({"DEBUG": "true"}, code), start({"DEBUG": "true"}, code)

    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)["keys"][0]["kid"].startswith("dev-")
