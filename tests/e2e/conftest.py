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
