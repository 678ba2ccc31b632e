"""Support actions on a reader, as admin views: confirm, give a reason, run the service.

Mounted on the reader page (support/admin.py, accounts' User in admin) at
<user id>/billing/<action>/. Each view checks its permission before showing
the form and again (in the service) when it runs; Stripe's refusal is shown
as the error and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from billing.forms import SupportActionForm
from billing.selectors import subscription_get_live
from config.errors import ApplicationError
from support import services
from support.forms import DaysActionForm


@dataclass(frozen=True)
class SupportAction:
    slug: str
    label: str
    permission: str
    form: type[SupportActionForm]
    run: Callable[..., Any]
    warning: str = ""
    # Whether the action makes sense for this reader now (its button is shown).
    applies: Callable[[User], bool] = lambda reader: True


def _live(reader: User, **fields: Any) -> bool:
    """Whether the reader has a live subscription, with these field values if any are given."""
    live = subscription_get_live(user=reader)
    return live is not None and all(getattr(live, name) == value for name, value in fields.items())


def _paused(reader: User) -> bool:
    live = subscription_get_live(user=reader)
    return live is not None and live.is_collection_paused


ACTIONS: dict[str, SupportAction] = {
    a.slug: a
    for a in (
        SupportAction(
            "cancel-at-period-end", "Cancel at period end", "billing.cancel_subscription",
            SupportActionForm,
            lambda staff, reader, data: services.support_cancel(
                staff=staff, reader=reader, at_period_end=True, reason=data["reason"]
            ),
            "The reader keeps access until the end of the period, then it stops.",
            lambda reader: _live(reader, cancel_at_period_end=False),
        ),
        SupportAction(
            "cancel-now", "Cancel now", "billing.cancel_subscription", SupportActionForm,
            lambda staff, reader, data: services.support_cancel(
                staff=staff, reader=reader, at_period_end=False, reason=data["reason"]
            ),
            "Access stops at once. Nothing is refunded.",
            _live,
        ),
        SupportAction(
            "resume", "Resume", "billing.resume_subscription", SupportActionForm,
            lambda staff, reader, data: services.support_resume(
                staff=staff, reader=reader, reason=data["reason"]
            ),
            "",
            lambda reader: (
                _live(reader, cancel_at_period_end=True) or _live(reader, status="paused")
            ),
        ),
        SupportAction(
            "end-pause", "End pause", "billing.end_pause", SupportActionForm,
            lambda staff, reader, data: services.support_end_pause(
                staff=staff, reader=reader, reason=data["reason"]
            ),
            "The reader's pause ends now: unlimited access at once, and the subscription "
            "is charged again from its next renewal.",
            lambda reader: _paused(reader),
        ),
        SupportAction(
            "extend-trial", "Extend trial", "billing.extend_trial", DaysActionForm,
            lambda staff, reader, data: services.support_extend_trial(
                staff=staff, reader=reader, days=data["days"], reason=data["reason"]
            ),
            f"Up to {services.SUPPORT_MAX_DAYS} days for support; longer needs a support lead.",
            lambda reader: _live(reader, status="trialing"),
        ),
        SupportAction(
            "resync", "Resync from Stripe", "billing.resync_subscription", SupportActionForm,
            lambda staff, reader, data: services.support_resync(
                staff=staff, reader=reader, reason=data["reason"]
            ),
        ),
        SupportAction(
            "refund", "Refund last payment", "billing.refund_payment", SupportActionForm,
            lambda staff, reader, data: services.support_refund_last_payment(
                staff=staff, reader=reader, reason=data["reason"]
            ),
            "The reader's most recent payment is refunded in full, through Stripe.",
        ),
        SupportAction(
            "grant", "Grant free access", "billing.grant_access", DaysActionForm,
            lambda staff, reader, data: services.support_grant(
                staff=staff, reader=reader, days=data["days"], reason=data["reason"]
            ),
            f"Unlimited reading from now, whatever the subscription. Up to "
            f"{services.SUPPORT_MAX_DAYS} days for support; longer needs a support lead.",
        ),
        SupportAction(
            "revoke-grant", "Revoke free access", "billing.revoke_grant", SupportActionForm,
            lambda staff, reader, data: services.support_revoke_grants(
                staff=staff, reader=reader, reason=data["reason"]
            ),
            "Every running or future grant of this reader ends now.",
            lambda reader: reader.entitlement_grants.filter(
                revoked_at__isnull=True, ends_at__gt=timezone.now()
            ).exists(),
        ),
    )
}  # fmt: skip


def action_allowed(user: Any, action: SupportAction | None) -> bool:
    """Whether this staff member may use the action: the one check that both the reader
    page (which buttons to show) and the action's view (403 otherwise) make."""
    return (
        action is not None and user.is_active and user.is_staff and user.has_perm(action.permission)
    )


def actions_for(user: Any, reader: User | None = None) -> list[SupportAction]:
    """The actions this staff member may take, and (given a reader) that apply to them now."""
    return [
        a
        for a in ACTIONS.values()
        if action_allowed(user, a) and (reader is None or a.applies(reader))
    ]


def support_action_view(
    request: HttpRequest, *, site: AdminSite, reader_id: int, slug: str
) -> HttpResponse:
    action = ACTIONS.get(slug)
    if action is None or not action_allowed(request.user, action):
        raise PermissionDenied
    reader = get_object_or_404(User, pk=reader_id)
    back = reverse(f"{site.name}:accounts_user_change", args=[reader.pk])
    form = action.form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action.run(request.user, reader, form.cleaned_data)
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, f"{action.label}: done for {reader.email}.")
            return HttpResponseRedirect(back)
    context = {
        **site.each_context(request),
        "title": f"{action.label}: {reader.email}",
        "action": action,
        "reader": reader,
        "form": form,
        "back": back,
        "opts": User._meta,
    }
    return TemplateResponse(request, "admin/support/support_action.html", context)
