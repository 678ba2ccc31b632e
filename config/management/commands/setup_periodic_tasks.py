from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from config.schedule import periodic_tasks_setup, unregistered_tasks


class Command(BaseCommand):
    help = (
        "Create or update the django-celery-beat rows of every periodic job declared in "
        "config/schedule.py (idempotent). A schedule or enabled flag changed in admin is kept "
        "unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also restore each job's declared name, schedule and enabled flag.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit with an error if a run would create or update a row.",
        )

    def handle(self, *args: Any, reset: bool, check: bool, **options: Any) -> None:
        missing = unregistered_tasks()
        if missing:
            raise CommandError(f"No app registers these Celery tasks: {', '.join(missing)}.")
        with transaction.atomic():
            report = periodic_tasks_setup(reset=reset)
            if check:
                transaction.set_rollback(True)
        for label, names in (
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
            ("kept as changed in admin (--reset restores)", report.kept),
        ):
            if names:
                self.stdout.write(f"periodic tasks {label}: {'; '.join(names)}")
        if check and report.changed:
            raise CommandError("setup_periodic_tasks would change the periodic tasks (see above).")
