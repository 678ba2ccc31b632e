"""The email addresses the project takes: those Django accepts *and* Stripe accepts.

Django's EmailValidator lets `name@localhost` through (its domain allowlist), but
Stripe refuses any address whose domain is not a dotted host name ending in a
top-level domain (`email_invalid`, https://docs.stripe.com/error-codes): a reader
registered with such an address could never start a trial. Every address the
project sends to Stripe as a customer's email passes `check_billing_email` first.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

EMAIL_DOMAIN_INVALID = "email_domain_invalid"
MESSAGE = "Enter an email address with a full domain name, like name@example.com."

# No allowlist: `localhost` (and any dotless domain) is refused like any other.
_stripe_compatible = EmailValidator(allowlist=[], message=MESSAGE, code=EMAIL_DOMAIN_INVALID)


def check_billing_email(email: str) -> None:
    """Raise ValidationError (code email_domain_invalid) for an address Stripe refuses."""
    _stripe_compatible(email)


def is_billing_email(email: str) -> bool:
    try:
        check_billing_email(email)
    except ValidationError:
        return False
    return True
