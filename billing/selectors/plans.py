"""The plans on sale."""

from __future__ import annotations

from django.db.models import QuerySet

from billing.models import Plan
from config.errors import ApplicationError


def plan_list_active() -> QuerySet[Plan]:
    return Plan.objects.filter(active=True).exclude(stripe_price_id="").order_by("amount", "code")


def plan_get_for_sale(*, code: str) -> Plan:
    """The active plan with this code that Stripe sells; unknown_plan otherwise."""
    plan = Plan.objects.filter(code=code, active=True).exclude(stripe_price_id="").first()
    if plan is None:
        raise ApplicationError(
            f"There is no plan called {code!r}.",
            code="unknown_plan",
            fields={"plan": [f"There is no plan called {code!r}."]},
        )
    return plan
