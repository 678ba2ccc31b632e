from django.core.management.base import BaseCommand, CommandParser

from billing.models import StripeEvent
from billing.services import stripe_event_reprocess


class Command(BaseCommand):
    help = "Queue Stripe events again: the given ids, or every failed one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_ids", nargs="*", help="evt_... ids (default: all failed)")

    def handle(self, *args: object, event_ids: list[str], **options: object) -> None:
        ids = event_ids or list(
            StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).values_list(
                "id", flat=True
            )
        )
        for event_id in ids:
            stripe_event_reprocess(event_id=event_id)
        self.stdout.write(f"queued {len(ids)} event(s)")
