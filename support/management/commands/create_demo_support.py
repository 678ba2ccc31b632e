import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User


class Command(BaseCommand):
    help = "Create (or reset) the demo's support login and print it. DEBUG only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default="support@demo.local")
        parser.add_argument("--group", default="support-lead", choices=["support", "support-lead"])

    def handle(self, *args: object, email: str, group: str, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("A demo login is for local runs only (DEBUG is off).")
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(email=email, defaults={"is_staff": True})
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=group)])
        self.stdout.write(f"Support login ({group}): {email} / {password}  at /admin/")
