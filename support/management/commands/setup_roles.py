from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from support.roles import ROLES, roles_ensure


class Command(BaseCommand):
    help = (
        "Create the support roles (groups) and give them their permissions (support/roles.py; "
        "idempotent). Permissions added in admin are kept unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Also take away permissions not declared."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit with an error if a run would change a role.",
        )

    def handle(self, *args: Any, reset: bool, check: bool, **options: Any) -> None:
        with transaction.atomic():
            changed = roles_ensure(reset=reset)
            if check:
                transaction.set_rollback(True)
        for name in ROLES:
            if name in changed:
                self.stdout.write(f"role {name}: {', '.join(changed[name])}")
            else:
                self.stdout.write(f"role {name}: unchanged")
        if check and changed:
            raise CommandError("setup_roles would change the roles (see above).")
