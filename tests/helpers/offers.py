"""Offers are made in tests as operators make them: `manage.py create_offer`."""

from __future__ import annotations

import io

from django.core.management import call_command

from offers.models import Offer


def create_offer(*args: str) -> Offer:
    call_command("create_offer", *args, stdout=io.StringIO())
    code = args[args.index("--code") + 1]
    return Offer.objects.get(code__iexact=code)
