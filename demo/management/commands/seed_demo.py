"""The demo's own data, for local runs (scripts/run): a daily newsletter for the
article page's sign-up box and an offer for the paywall's banner. DEBUG only;
idempotent (a second run changes nothing)."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from newsletters.models import Newsletter
from offers.models import Offer

NEWSLETTERS = (
    ("daily-briefing", "The Daily Briefing", "The day's best stories, every morning.", "daily"),
    ("weekend-reads", "Weekend Reads", "Long reads for a slow Saturday.", "weekly"),
)


class Command(BaseCommand):
    help = "Seed the demo reading surface's newsletters and offer (DEMO_OFFER_CODE). DEBUG only."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("The demo's data is for local runs only (DEBUG is off).")
        for position, (slug, name, description, frequency) in enumerate(NEWSLETTERS):
            Newsletter.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "description": description,
                    "frequency": frequency,
                    "default_at_registration": position == 0,
                    "position": position,
                },
            )
        code = settings.DEMO_OFFER_CODE
        if code and not Offer.objects.filter(code__iexact=code).exists():
            # As operators make offers: synced to Stripe as a coupon and a promotion code.
            call_command(
                "create_offer", "--code", code, "--percent-off", "50",
                "--duration", "months", "--months", "3", "--plans", "monthly",
                "--headline", "Half price for 3 months",
                "--terms", "Then the monthly price. New subscribers only.",
                "--first-time-only", stdout=io.StringIO(),
            )  # fmt: skip
        self.stdout.write(f"Demo data: {len(NEWSLETTERS)} newsletters, offer {code or '(none)'}")
