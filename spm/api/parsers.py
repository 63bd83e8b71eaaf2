"""JSON bodies with a bounded depth: a body nested a thousand levels deep is a 400, not
a ``RecursionError`` (a 500) in the parser."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request body of this API nests deeper than a list of objects inside an object.
MAX_DEPTH = 20


def depth_of(value, *, limit: int) -> int:
    """How deeply ``value`` nests (a scalar is 0), counting no further than ``limit + 1``."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested more than {MAX_DEPTH} levels deep.") from None
        except (ValueError, json.JSONDecodeError) as error:  # pragma: no cover - DRF's own
            raise ParseError(f"JSON parse error - {error}") from error
        if depth_of(data, limit=MAX_DEPTH) > MAX_DEPTH:
            raise ParseError(f"JSON nested more than {MAX_DEPTH} levels deep.")
        return data
