"""The reader page: support staff find a reader and see, in one place, why they
can or cannot read, then act through the support services (support/admin_actions.py).

It replaces accounts' User admin with a subclass: same URLs (/admin/accounts/user/),
plus the panels, the search by Stripe ids and the action views.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.admin import UserAdmin
from accounts.models import User
from audit.models import AuditLog
from billing.models import StripeEvent, Subscription, TrialClaim
from billing.selectors import (
    pause_is_running,
    reader_timeline,
    subscription_access_until,
    subscription_ending,
)
from entitlements.models import Grant
from entitlements.readers import Reader
from entitlements.selectors import entitlement_decide
from offers.retention_selectors import reader_cancellation_feedback
from support.admin_actions import actions_for, support_action_view
from support.admin_discounts import discounts_panel


def _dt(value: Any, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    return value.strftime(fmt) if value else "—"


def _change_link(request: HttpRequest, model: Any, pk: Any, text: str) -> SafeString:
    """A link to an object's admin page, only for staff whose role lets them open it: the
    same check (has_view_or_change_permission) that Django's change view makes."""
    model_admin = admin.site._registry.get(model)
    if model_admin is None or not model_admin.has_view_or_change_permission(request):
        return format_html("{}", text)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, text)


def _pause(subscription: Subscription) -> str:
    """The reader's pause of collection (billing/services/pause.py), as support reads it."""
    if not subscription.is_collection_paused:
        return "no"
    if subscription.pause_resumes_at is None:
        return f"paused ({subscription.pause_behavior}), no end"
    state = "paused" if pause_is_running(subscription) else "pause over"
    return f"{state} ({subscription.pause_behavior}) until {_dt(subscription.pause_resumes_at)}"


def _subscriptions_panel(request: HttpRequest, user: User) -> SafeString:
    rows = list(
        Subscription.objects.filter(user=user).select_related("plan").order_by("-created_at")
    )
    if not rows:
        return format_html("<p>{}</p>", "No subscription.")
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td><strong>{}</strong></td><td>{}</td><td>{}</td><td>{}</td>"
        '<td class="pause">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                _change_link(request, Subscription, s.pk, s.stripe_subscription_id),
                s.plan.code,
                s.status,
                f"{_dt(s.trial_start)} → {_dt(s.trial_end)}",
                f"{_dt(s.current_period_start)} → {_dt(s.current_period_end)}",
                "yes" if s.cancel_at_period_end else "no",
                _pause(s),
                _dt(s.canceled_at),
                _dt(s.ended_at),
                _dt(until) if (until := subscription_access_until(s)) else "no access",
                _dt(s.synced_at),
            )
            for s in rows
        ),
    )
    endings = [(s, ending) for s in rows if (ending := subscription_ending(subscription=s))]
    why = format_html_join(
        "",
        '<li class="ending-{}"><strong>{}</strong> ended {}: {}{}{}</li>',
        (
            (
                ending.cause,
                s.stripe_subscription_id,
                _dt(s.ended_at),
                ending.summary,
                format_html(" By {}.", ending.by) if ending.by else "",
                format_html(" <q>{}</q>", ending.reason)
                if ending.reason
                else (" No reason given." if ending.cause in ("reader", "support") else ""),
            )
            for s, ending in endings
        ),
    )
    return format_html(
        '<table class="reader-subscriptions"><thead><tr><th>Stripe id</th><th>Plan</th>'
        "<th>Status</th><th>Trial</th><th>Period</th><th>Cancels at end</th><th>Paused</th>"
        "<th>Canceled at</th>"
        "<th>Ended at</th><th>Grants access until</th><th>Synced</th></tr></thead>"
        "<tbody>{}</tbody></table>{}",
        body,
        format_html('<h3>Why it ended</h3><ul class="subscription-endings">{}</ul>', why)
        if endings
        else "",
    )


def _trial_claim_panel(user: User) -> SafeString:
    claim = TrialClaim.objects.filter(user=user).first()
    if claim is None:
        return format_html("<p>{}</p>", "No trial claimed yet: this reader may start one.")
    return format_html(
        "<p>Trial claimed {} ({}). One trial per reader, mailbox and card.</p>",
        _dt(claim.claimed_at),
        "with a card" if claim.card_fingerprint else "without a card",
    )


def _cancellation_panel(user: User) -> SafeString:
    """The reasons the reader gave in the cancellation flow, and what came of each."""
    answers = reader_cancellation_feedback(user=user)
    if not answers:
        return format_html("<p>{}</p>", "No cancellation reason given.")
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                _dt(a.created_at),
                a.get_reason_display(),
                a.comment or "—",
                a.get_offered_kind_display(),
                a.get_outcome_display(),
            )
            for a in answers
        ),
    )
    return format_html(
        '<table class="cancellation-reasons"><thead><tr><th>When</th><th>Reason</th>'
        "<th>Comment</th><th>Offered</th><th>Outcome</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


def _timeline_panel(request: HttpRequest, user: User) -> SafeString:
    entries = reader_timeline(user=user)
    if not entries:
        return format_html("<p>{}</p>", "Nothing yet.")

    def what(e: Any) -> SafeString:
        if e.event_id:
            link = _change_link(request, StripeEvent, e.event_id, e.title)
        else:
            link = _change_link(request, AuditLog, e.audit_id, e.title)
        stripe_id = e.event_id or e.object_id
        if not stripe_id:
            return link
        return format_html('{}<br><span class="stripe-id">{}</span>', link, stripe_id)

    return format_html(
        '<table class="reader-timeline"><thead><tr><th>When</th><th>What</th><th>Who</th>'
        "<th>Outcome</th><th>Detail</th></tr></thead><tbody>{}</tbody></table>",
        format_html_join(
            "",
            '<tr class="timeline-{}" data-event="{}"><td>{}</td><td>{}</td><td>{}</td>'
            '<td class="outcome outcome-{}">{}</td><td>{}</td></tr>',
            (
                (
                    e.kind,
                    e.event_id,
                    _dt(e.at, "%Y-%m-%d %H:%M:%S UTC"),
                    what(e),
                    e.actor,
                    e.outcome or "none",
                    e.outcome,
                    e.detail,
                )
                for e in entries
            ),
        ),
    )


def _access_panel(user: User) -> SafeString:
    """Why this reader can or cannot read, right now: the entitlements decision."""
    decision = entitlement_decide(reader=Reader.for_user(user))
    if decision.access == "unlimited":
        return format_html(
            "<p><strong>Unlimited access</strong> ({}) until {}.</p>",
            decision.reason,
            _dt(decision.until) if decision.until else "further notice",
        )
    meter = decision.metered
    paused = (
        format_html(" Paused by the reader until {}.", _dt(decision.until))
        if decision.reason == "paused" and decision.until
        else ""
    )
    return format_html(
        "<p><strong>Metered</strong> ({}):{} {} of {} free articles read this month, {} left; "
        "the meter resets {}.</p>",
        decision.reason,
        paused,
        meter.used if meter else 0,
        meter.limit if meter else 0,
        meter.remaining if meter else 0,
        _dt(meter.resets_at) if meter else "—",
    )


def _grants_panel(user: User) -> SafeString:
    grants = Grant.objects.filter(reader=user).select_related("granted_by", "revoked_by")
    if not grants:
        return format_html("<p>{}</p>", "No complimentary access.")
    return format_html(
        '<table class="reader-grants"><thead><tr><th>From</th><th>To</th><th>Reason</th>'
        "<th>Granted by</th><th>Revoked</th></tr></thead><tbody>{}</tbody></table>",
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    _dt(g.starts_at),
                    _dt(g.ends_at),
                    g.reason,
                    g.granted_by.email if g.granted_by else "system",
                    _dt(g.revoked_at) if g.revoked_at else "—",
                )
                for g in grants
            ),
        ),
    )


def _actions_panel(request: HttpRequest, user: User) -> SafeString:
    allowed = actions_for(request.user, user)
    if not allowed:
        return format_html(
            "<p>{}</p>", "No billing action applies to this reader, or none is yours."
        )
    return format_html_join(
        " ",
        '<a class="button" href="{}">{}</a>',
        (
            (reverse("admin:accounts_user_billing_action", args=[user.pk, a.slug]), a.label)
            for a in allowed
        ),
    )


admin.site.unregister(User)


@admin.register(User)
class ReaderAdmin(UserAdmin):
    # Partial, case-insensitive email; exact Stripe customer and subscription ids.
    search_fields = (
        "email",
        "=billing_customer__stripe_customer_id",
        "=subscriptions__stripe_subscription_id",
    )
    change_form_template = "admin/support/reader_change_form.html"

    def get_urls(self) -> list[Any]:
        def view(request: HttpRequest, object_id: int, slug: str) -> HttpResponse:
            return support_action_view(
                request, site=self.admin_site, reader_id=object_id, slug=slug
            )

        return [
            path(
                "<int:object_id>/billing/<slug:slug>/",
                self.admin_site.admin_view(view),
                name="accounts_user_billing_action",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        user = self.get_object(request, object_id)
        if user is not None and request.user.has_perm("billing.view_subscription"):
            panels = [
                ("Access now", _access_panel(user)),
                ("Actions", _actions_panel(request, user)),
                ("Subscriptions", _subscriptions_panel(request, user)),
                ("Trial", _trial_claim_panel(user)),
                ("Discounts", discounts_panel(user)),
                ("Complimentary access", _grants_panel(user)),
                ("Cancellation reasons", _cancellation_panel(user)),
                ("Timeline (newest first)", _timeline_panel(request, user)),
            ]
            extra_context["reader_panels"] = panels
        return super().change_view(request, object_id, form_url, extra_context)
