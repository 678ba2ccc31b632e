"""Request types for views that only signed-in users reach (for the type checker).

Behind IsAuthenticated (DRF) or the admin's staff login, `request.user` is
always a User, never AnonymousUser; annotating the view's request with these
says so without a runtime check.
"""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


class AuthenticatedRequest(Request):
    user: User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def staff_user(request: HttpRequest) -> User:
    """The signed-in staff member, in admin methods whose signature Django fixes as HttpRequest."""
    return cast(User, request.user)
