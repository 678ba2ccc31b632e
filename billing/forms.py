"""The confirmation form of staff actions in admin: every action wants a reason."""

from __future__ import annotations

from django import forms


class SupportActionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: this goes into the audit log.",
    )
    confirm = forms.BooleanField(label="Yes, do this now", required=True)
