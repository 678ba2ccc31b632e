"""Support's action forms: billing's reason and confirmation, and a number of days."""

from __future__ import annotations

from django import forms

from billing.forms import SupportActionForm


class DaysActionForm(SupportActionForm):
    days = forms.IntegerField(min_value=1, max_value=3650, initial=7)

    field_order = ("days", "reason", "confirm")
