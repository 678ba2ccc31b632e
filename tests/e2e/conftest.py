"""The browser for end-to-end tests: Debian's chromium (/usr/bin/chromium) driven
headless by Playwright (tests/helpers/browser.py), against pytest-django's live server."""

from __future__ import annotations

import pytest

from tests.helpers.browser import chromium_page


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM is only
    # used before and after it here, never while a page is open.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page() as page:
        yield page


@pytest.fixture(scope="session", autouse=True)
def _live_server_connections_closed(django_db_setup, django_db_blocker):
    """After the live server stopped (this is set up before it, so torn down after),
    end the database sessions its request threads left: a thread still waiting on a
    browser's keep-alive connection keeps its own, and the test database could not be
    dropped ("is being accessed by other users")."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
