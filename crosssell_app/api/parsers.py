"""The API's JSON parser: DRF's, bounded, so a hostile body is a 400 and never a 500.

Python's JSON decoder recurses once per nesting level: a body nested some thousand levels deep
raises ``RecursionError``, which DRF's parser does not catch. A number beyond a float (``1e400``)
decodes as infinity, which no id, limit or quantity can be. Both are refused here, once for
every endpoint.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

#: deepest nesting a body may have; the API's own bodies are three levels deep (an order's lines)
MAX_JSON_DEPTH = 32


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than ``max_depth`` and numbers beyond a float."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(self._too_deep()) from None
        check_bounds(data, self.max_depth, self._too_deep)
        return data

    def _too_deep(self) -> str:
        return _("JSON parse error - nested too deep (at most %(depth)d levels).") % {"depth": self.max_depth}


def check_bounds(data: Any, max_depth: int, too_deep) -> None:
    """Raise ``ParseError`` if ``data`` nests deeper than ``max_depth`` or holds an infinite number.

    Walks with its own stack, so the check itself cannot recurse too deep.
    """
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise ParseError(_("JSON parse error - a number is too large."))
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise ParseError(too_deep())
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
