"""allauth adapter: lower-case emails and links that point at the reader-facing frontend."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from accounts.models import normalize_email


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        return normalize_email(super().clean_email(email))

    def get_email_verification_redirect_url(self, email_address):
        return f"{settings.FRONTEND_URL}/"

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation) -> str:
        return f"{settings.FRONTEND_URL}/verify-email/{emailconfirmation.key}"


def password_reset_url(request: HttpRequest, user, temp_key: str) -> str:
    """The link in the reset email: the frontend page that posts uid and token back."""
    from allauth.account.utils import user_pk_to_url_str

    return f"{settings.FRONTEND_URL}/reset-password/{user_pk_to_url_str(user)}/{temp_key}"
