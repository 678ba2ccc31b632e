"""`manage.py seed`: the periodic jobs, the support roles and the plans, after every migrate."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from billing.models import Plan
from config.schedule import PERIODIC_JOBS

pytestmark = pytest.mark.django_db


@pytest.fixture
def empty():
    PeriodicTask.objects.all().delete()
    Group.objects.all().delete()


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def test_seed_makes_the_jobs_the_roles_and_the_plans_once(empty, stripe):
    seed()
    seed()

    assert sorted(PeriodicTask.objects.values_list("name", flat=True)) == sorted(
        job.name for job in PERIODIC_JOBS
    )
    assert sorted(Group.objects.values_list("name", flat=True)) == [
        "marketing",
        "pricing",
        "support",
        "support-lead",
    ]
    assert sorted(Plan.objects.values_list("code", flat=True)) == ["monthly", "yearly"]
    products = [r for r in stripe.requests() if r["path"] == "/v1/products"]
    assert len([r for r in products if r["method"] == "POST"]) == 2  # not again the second time


def test_skip_plans_leaves_stripe_alone(empty, stripe):
    out = seed("--skip-plans")

    assert PeriodicTask.objects.count() == len(PERIODIC_JOBS)
    assert Group.objects.count() == 4
    assert not Plan.objects.exists()
    assert stripe.requests() == []
    assert "periodic tasks created" in out
