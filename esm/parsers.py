"""The API's request parser (settings: ``DEFAULT_PARSER_CLASSES``): JSON only, with bounded nesting.

Request bodies are JSON everywhere except the attachment upload, which declares its own
multipart parser. Offering form and multipart bodies on every operation made generated clients
choose between three body types per call, which they cannot express for nested fields.

Nesting is bounded: no ESM payload is more than a few levels deep, and a body nested a thousand
levels would otherwise exhaust the interpreter's recursion limit in the stdlib parser (or in
later code walking the data): 500s, not 400s.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

MAX_JSON_DEPTH = 32


def depth_exceeds(value, limit: int) -> bool:
    """True when ``value`` nests lists and objects more than ``limit`` levels deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


class JSONParser(DRFJSONParser):
    """DRF's JSON parser (the same values, the same errors), refusing bodies nested too deep."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # the stdlib decoder gives up near the interpreter's recursion limit
            raise ParseError(self.too_deep())
        if depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(self.too_deep())
        return data

    @staticmethod
    def too_deep() -> str:
        return _("JSON parse error - nested more than %(limit)s levels deep.") % {"limit": MAX_JSON_DEPTH}
