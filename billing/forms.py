"""The confirmation form of staff actions in admin: every action wants a reason."""

from __future__ import annotations

from django import forms

from audit.services import REASON_REQUIRED


class SupportActionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: this goes into the audit log.",
        error_messages={"required": REASON_REQUIRED},
    )
    confirm = forms.BooleanField(label="Yes, do this now", required=True)
