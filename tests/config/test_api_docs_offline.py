"""The API docs page works offline: Swagger UI comes from this service, not a CDN."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.conf import settings

EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


class _Assets(HTMLParser):
    """Every URL the page makes the browser load: script, stylesheet, icon, image, frame."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in ("src", "href") and tag in ("script", "link", "img", "iframe"):
                self.urls.append(value)


def _page(client) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    parser = _Assets()
    parser.feed(html)
    return html, parser.urls


def test_docs_page_loads_nothing_from_another_host(client):
    html, urls = _page(client)

    assert urls, "the page references no assets at all"
    assert [url for url in urls if EXTERNAL.match(url)] == []
    # Nor does its inline script name another host (a CDN, the online validator).
    assert re.findall(r"https?://[^\s\"'<>]+", html) == []
    assert '"validatorUrl": null' in html


def test_docs_page_assets_are_served_by_the_service(client):
    _html, urls = _page(client)
    static = [url for url in urls if url.startswith(f"/{settings.STATIC_URL.strip('/')}/")]

    assert any(url.endswith("swagger-ui-bundle.js") for url in static)
    assert any(url.endswith("swagger-ui.css") for url in static)
    assert len(static) == len(urls), f"assets outside the static files: {urls}"
    for url in static:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, url
