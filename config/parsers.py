"""The API's JSON parser: DRF's, with a limit on how deeply a body may nest.

No request body of ours nests more than a few levels, but json.load recurses
once per level: 100,000 `[` would exhaust the interpreter's stack and surface
as a RecursionError (a 500). A body nested deeper than MAX_DEPTH is a 400
`json_too_deep`, like any other malformed body.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def _too_deep(data: Any, limit: int) -> bool:
    """Whether parsed JSON nests containers deeper than `limit` (iteratively: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    children: Iterable[Any]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise _nested_too_deeply() from exc
        if _too_deep(data, MAX_DEPTH):
            raise _nested_too_deeply()
        return data


def _nested_too_deeply() -> ParseError:
    return ParseError(f"The JSON body nests deeper than {MAX_DEPTH} levels.", code="json_too_deep")
