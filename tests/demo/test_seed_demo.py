"""`manage.py seed_demo`: the demo's newsletters and offer for local runs, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from newsletters.models import Newsletter
from offers.models import Offer

pytestmark = pytest.mark.django_db


def test_it_seeds_the_newsletters_and_the_offer_once(plans, settings):
    settings.DEBUG = True
    settings.DEMO_OFFER_CODE = "DEMO50"

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    assert list(Newsletter.objects.order_by("position").values_list("slug", "frequency")) == [
        ("daily-briefing", "daily"),
        ("weekend-reads", "weekly"),
    ]
    offer = Offer.objects.get()
    assert offer.code == "DEMO50"
    assert offer.headline == "Half price for 3 months"


def test_without_an_offer_code_it_seeds_only_the_newsletters(settings, db):
    settings.DEBUG = True
    settings.DEMO_OFFER_CODE = ""

    call_command("seed_demo", stdout=io.StringIO())

    assert Newsletter.objects.count() == 2
    assert not Offer.objects.exists()


def test_it_refuses_with_debug_off(settings, db):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
