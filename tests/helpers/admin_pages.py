"""The admin's reader page as a test reads it: its links and the rows of its timeline."""

from html.parser import HTMLParser


class _Page(HTMLParser):
    """The links of a page and the rows of its reader timeline, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.rows: list[list[str]] = []
        self._href: str | None = None
        self._text = ""
        self._in_timeline = False
        self._cell: list[str] | None = None
        self.columns: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self._href, self._text = attrs["href"], ""
        if tag == "table" and "reader-timeline" in (attrs.get("class") or ""):
            self._in_timeline = True
        if self._in_timeline and tag == "tr":
            self.rows.append([])
        if self._in_timeline and tag in ("td", "th"):
            self._cell = []
        if tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._text.strip()))
            self._href = None
        if tag == "table":
            self._in_timeline = False
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.columns if tag == "th" else self.rows[-1]).append(
                text.lower() if tag == "th" else text
            )
            self._cell = None

    def handle_data(self, data):
        if self._href is not None:
            self._text += data
        if self._cell is not None:
            self._cell.append(data)


def reader_page(client, reader):
    response = client.get(f"/admin/accounts/user/{reader.pk}/change/")
    assert response.status_code == 200
    page = _Page()
    page.feed(response.content.decode())
    page.text = response.content.decode()
    page.timeline = [dict(zip(page.columns, row, strict=True)) for row in page.rows if row]
    return page


def rows_about(page, event_id):
    return [row for row in page.timeline if event_id in " ".join(row.values())]
