from __future__ import annotations

from typing import Any

from dj_rest_auth.registration.serializers import RegisterSerializer as BaseRegisterSerializer
from dj_rest_auth.serializers import LoginSerializer as BaseLoginSerializer
from dj_rest_auth.serializers import PasswordResetSerializer as BasePasswordResetSerializer
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers

from accounts.adapters import password_reset_url
from accounts.emails import EMAIL_DOMAIN_INVALID, is_billing_email
from accounts.emails import MESSAGE as EMAIL_DOMAIN_MESSAGE
from accounts.models import User, normalize_email


class RegisterSerializer(BaseRegisterSerializer):
    """Email and password only: dj-rest-auth's username field is removed."""

    username = None
    email = serializers.EmailField(max_length=254)
    password1 = serializers.CharField(write_only=True, style={"input_type": "password"})
    password2 = serializers.CharField(write_only=True, style={"input_type": "password"})

    def validate_email(self, email: str) -> str:
        email = normalize_email(super().validate_email(email))
        # Django takes name@localhost; Stripe refuses it when the trial starts (accounts/emails.py).
        if not is_billing_email(email):
            raise serializers.ValidationError(EMAIL_DOMAIN_MESSAGE, code=EMAIL_DOMAIN_INVALID)
        # allauth only refuses a *verified* duplicate; we refuse any, whatever its case.
        if User.objects.filter(email__iexact=email).exists():
            raise serializers.ValidationError(
                "An account already exists with this email address.", code="email_taken"
            )
        return email

    def validate_password1(self, password: str) -> str:
        return password  # validated in validate(), where the email is known

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["password1"] != data["password2"]:
            raise serializers.ValidationError(
                {"password2": ["The two passwords do not match."]}, code="password_mismatch"
            )
        try:
            password_validation.validate_password(data["password1"], User(email=data["email"]))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                {"password1": serializers.as_serializer_error(exc)["non_field_errors"]}
            ) from exc
        return data

    def save(self, request: Any) -> User:
        try:
            with transaction.atomic():
                return super().save(request)
        except IntegrityError as exc:  # two sign-ups with the same email raced
            raise serializers.ValidationError(
                {
                    "email": [
                        serializers.ErrorDetail(
                            "An account already exists with this email address.", code="email_taken"
                        )
                    ]
                }
            ) from exc


class LoginSerializer(BaseLoginSerializer):
    """Email and password; no username."""

    username = None
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"})

    def validate_email(self, email: str) -> str:
        return normalize_email(email)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            message = _first_message(exc.detail)
            code = "invalid_credentials" if "credentials" in message else "login_refused"
            raise serializers.ValidationError(message, code=code) from exc


def _first_message(detail: Any) -> str:
    while isinstance(detail, list | dict):
        detail = next(iter(detail.values() if isinstance(detail, dict) else detail), "")
    return str(detail)


class MessageOutput(serializers.Serializer):
    """A confirmation in a sentence ("Password reset e-mail has been sent.")."""

    detail = serializers.CharField()


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "date_joined")
        read_only_fields = fields


class PasswordResetSerializer(BasePasswordResetSerializer):
    def get_email_options(self) -> dict[str, Any]:
        return {"url_generator": password_reset_url}
