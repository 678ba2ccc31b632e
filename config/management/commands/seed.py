from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Seed what the service needs beyond its migrations, idempotently: the periodic jobs "
        "(setup_periodic_tasks), the support roles (setup_roles) and the plan catalogue in "
        "Stripe and here (sync_plans). Run after every migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--skip-plans",
            action="store_true",
            help="Seed only the database (periodic jobs, roles): Stripe is not called.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore the declared schedules and roles, undoing changes made in admin.",
        )

    def handle(self, *args: Any, skip_plans: bool, reset: bool, **options: Any) -> None:
        # By name: the commands belong to apps above config (docs/architecture.md, "Layers").
        call_command("setup_periodic_tasks", reset=reset, stdout=self.stdout, stderr=self.stderr)
        call_command("setup_roles", reset=reset, stdout=self.stdout, stderr=self.stderr)
        if not skip_plans:
            call_command("sync_plans", stdout=self.stdout, stderr=self.stderr)
