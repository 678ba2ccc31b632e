"""The browser for end-to-end tests: Debian's chromium (/usr/bin/chromium) driven
headless by Playwright, against pytest-django's live server."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers.services import REQUIRE_SERVICES

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser_page(monkeypatch):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        sync_playwright = None
    if sync_playwright is None or not shutil.which(CHROMIUM):
        reason = "needs playwright and Debian's chromium (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; the ORM is only
    # used before and after it here, never while a page is open.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()
