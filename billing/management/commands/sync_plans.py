from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing.services import plan_sync_catalogue
from config.errors import ApplicationError


class Command(BaseCommand):
    help = "Create or update Stripe products and prices and our plans from BILLING_PLANS."

    def handle(self, *args: object, **options: object) -> None:
        try:
            report = plan_sync_catalogue(catalogue=settings.BILLING_PLANS)
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc
        for label, codes in (
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
            ("archived", report.archived),
        ):
            if codes:
                self.stdout.write(f"{label}: {', '.join(codes)}")
