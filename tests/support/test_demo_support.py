import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_support_login_is_created_and_printed(roles, settings, capsys):
    settings.DEBUG = True

    call_command("create_demo_support")

    out = capsys.readouterr().out
    email, password = out.split(": ", 1)[1].split("  at")[0].split(" / ")
    user = User.objects.get(email=email)
    assert user.is_staff
    assert user.check_password(password)
    assert list(user.groups.values_list("name", flat=True)) == ["support-lead"]


def test_no_demo_login_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("create_demo_support")
