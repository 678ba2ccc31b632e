"""`manage.py setup_roles`: the support roles as groups, made by a command, idempotently."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from support.roles import ROLES

pytestmark = pytest.mark.django_db


def setup_roles(*args: str) -> str:
    out = io.StringIO()
    call_command("setup_roles", *args, stdout=out)
    return out.getvalue()


def held() -> dict[str, set[tuple[str, str]]]:
    return {
        group.name: set(group.permissions.values_list("content_type__app_label", "codename"))
        for group in Group.objects.all()
    }


@pytest.fixture
def no_roles():
    Group.objects.all().delete()


def test_the_command_makes_each_role_with_its_declared_permissions(no_roles):
    setup_roles()

    assert held() == {name: set(perms) for name, perms in ROLES.items()}


def test_running_twice_changes_nothing_and_duplicates_nothing(no_roles):
    setup_roles()
    before = held()
    permissions = Permission.objects.count()

    out = setup_roles()

    assert held() == before
    assert Group.objects.count() == len(ROLES)
    assert Permission.objects.count() == permissions
    assert out.splitlines() == [
        "role support: unchanged",
        "role support-lead: unchanged",
        "role marketing: unchanged",
        "role pricing: unchanged",
    ]
    setup_roles("--check")


def test_migrate_no_longer_makes_the_roles(no_roles):
    """One mechanism: the seed command, not a post_migrate handler."""
    call_command("migrate", verbosity=0)

    assert not Group.objects.exists()


def test_a_permission_an_operator_added_is_kept_and_a_removed_one_comes_back(no_roles):
    setup_roles()
    support = Group.objects.get(name="support")
    extra = Permission.objects.get(content_type__app_label="billing", codename="refund_payment")
    support.permissions.add(extra)
    support.permissions.remove(
        Permission.objects.get(content_type__app_label="billing", codename="extend_trial")
    )

    out = setup_roles()

    assert ("billing", "refund_payment") in held()["support"]
    assert ("billing", "extend_trial") in held()["support"]
    assert "role support: extend_trial" in out


def test_reset_makes_each_role_exactly_what_is_declared(no_roles):
    setup_roles()
    Group.objects.get(name="support").permissions.add(
        Permission.objects.get(content_type__app_label="billing", codename="refund_payment")
    )

    out = setup_roles("--reset")

    assert held() == {name: set(perms) for name, perms in ROLES.items()}
    assert "role support: -refund_payment" in out


def test_check_fails_and_writes_nothing_when_a_run_would_change_a_role(no_roles):
    with pytest.raises(CommandError, match="would change"):
        setup_roles("--check")

    assert not Group.objects.exists()
