"""Keyset ("cursor") pagination shared by console lists and API lists.

Pages are addressed by the sort key of the row before them, never by an OFFSET, and no page
counts the table: a page costs the same at row 50 and at row 999,950. Each ordering is a tuple
of model fields that all run in the same direction and end in a unique field, so that PostgreSQL
can walk a composite index with a row comparison ``(a, b) > (x, y)``.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

Ordering = tuple[str, ...]
MAX_UTC_OFFSET = timedelta(hours=14)


class InvalidCursor(ValidationError):
    pass


@dataclass
class KeysetPage:
    items: list
    ordering: str
    next_cursor: str | None
    previous_cursor: str | None


def _encode(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidCursor(_("Invalid cursor."), code="invalid_cursor")
    if not isinstance(payload, dict) or not isinstance(payload.get("v"), list):
        raise InvalidCursor(_("Invalid cursor."), code="invalid_cursor")
    return payload


def _value_of(obj, name: str):
    if isinstance(obj, dict):  # a .values() row
        value = obj[name]
    else:
        value = obj
        for part in name.split("__"):
            value = getattr(value, part)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _coerce(model, name: str, raw):
    """Turn a cursor value back into a field value, refusing anything the database would choke on."""
    field = model._meta.get_field(name)
    if raw is None or isinstance(raw, (dict, list)) or (isinstance(raw, str) and "\x00" in raw):
        raise InvalidCursor(_("Invalid cursor."), code="invalid_cursor")
    try:
        if field.get_internal_type() == "DateTimeField":
            value = parse_datetime(str(raw))
            if value is None or (value.utcoffset() is not None and abs(value.utcoffset()) > MAX_UTC_OFFSET):
                raise ValueError  # PostgreSQL refuses offsets beyond ±15:59 with an error, not a 400
        else:
            value = field.to_python(raw)
    except (ValidationError, TypeError, ValueError, OverflowError):  # 2020-02-30, 1e400, "x" for an int …
        raise InvalidCursor(_("Invalid cursor."), code="invalid_cursor")
    if isinstance(value, float) or (isinstance(value, int) and not -(2**63) <= value < 2**63):
        raise InvalidCursor(_("Invalid cursor."), code="invalid_cursor")
    return value


def keyset_paginate(
    queryset: QuerySet,
    *,
    orderings: dict[str, Ordering],
    ordering: str | None,
    default_ordering: str,
    cursor: str | None,
    page_size: int,
    ordering_filters: dict | None = None,
) -> KeysetPage:
    """Return one page of ``queryset`` ordered by ``orderings[ordering]``, after/before ``cursor``.

    ``ordering_filters`` maps an ordering to the condition its rows must meet (a row comparison
    cannot place NULLs, so an ordering on a nullable column lists only the rows that have one).
    """
    if ordering not in orderings:
        ordering = default_ordering
    if ordering_filters and ordering in ordering_filters:
        queryset = queryset.filter(ordering_filters[ordering])
    fields = orderings[ordering]
    descending = fields[0].startswith("-")
    names = [f.lstrip("-") for f in fields]
    model = queryset.model

    backwards = False
    if cursor:
        payload = _decode(cursor)
        if payload.get("o") != ordering or len(payload["v"]) != len(names):
            raise InvalidCursor(_("The cursor belongs to another ordering."), code="invalid_cursor")
        backwards = bool(payload.get("r"))
        values = [_coerce(model, name, raw) for name, raw in zip(names, payload["v"], strict=True)]
        table = model._meta.db_table
        columns = ", ".join(f'"{table}"."{model._meta.get_field(n).column}"' for n in names)
        forward_op = "<" if descending else ">"
        op = {"<": ">", ">": "<"}[forward_op] if backwards else forward_op
        placeholders = ", ".join(["%s"] * len(values))
        # Column names come from model metadata and values are bound parameters: no user text in SQL.
        queryset = queryset.extra(where=[f"({columns}) {op} ({placeholders})"], params=values)  # noqa: S610

    walk_descending = descending != backwards
    order_by = [f"-{n}" if walk_descending else n for n in names]
    rows = list(queryset.order_by(*order_by)[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()

    def cursor_for(obj, reverse: bool) -> str:
        return _encode({"o": ordering, "v": [_value_of(obj, n) for n in names], "r": int(reverse)})

    next_cursor = previous_cursor = None
    if rows:
        if has_more or backwards:
            next_cursor = cursor_for(rows[-1], False)
        if cursor and (has_more or not backwards):
            previous_cursor = cursor_for(rows[0], True)
    return KeysetPage(rows, ordering, next_cursor, previous_cursor)


def query_without(params, *names: str) -> str:
    """The query string of ``params`` without ``names`` (links to other pages, tabs and sort orders)."""
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def bounded_page_size(raw, *, default: int = 50, maximum: int = 500) -> int:
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return default
    return max(1, min(size, maximum))


class KeysetPagination(BasePagination):
    """DRF pagination over :func:`keyset_paginate`.

    A view declares ``keyset_orderings`` ({"name": ("field", …, "id")}) and
    ``keyset_default_ordering``; clients pass ``ordering``, ``cursor`` and ``page_size`` (≤ 500).
    """

    page_size = 50
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        orderings = getattr(view, "keyset_orderings", None) or {"-id": ("-id",)}
        default = getattr(view, "keyset_default_ordering", None) or next(iter(orderings))
        params = request.query_params
        self.request = request
        try:
            self.page = keyset_paginate(
                queryset,
                orderings=orderings,
                ordering=params.get("ordering"),
                default_ordering=default,
                cursor=params.get("cursor"),
                page_size=bounded_page_size(params.get("page_size"), default=self.page_size),
                ordering_filters=getattr(view, "keyset_ordering_filters", None),
            )
        except InvalidCursor as exc:
            raise DRFValidationError({"cursor": exc.messages})
        return self.page.items

    def _link(self, cursor):
        if not cursor:
            return None
        params = self.request.query_params.copy()
        params["cursor"] = cursor
        return self.request.build_absolute_uri(self.request.path) + "?" + urlencode(params, doseq=True)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.page.next_cursor),
                "previous": self._link(self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        orderings = list(getattr(view, "keyset_orderings", None) or {"-id": ("-id",)})
        return [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a previous page's `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": "Rows per page (1–500, default 50).",
                "schema": {"type": "integer", "minimum": 1, "maximum": 500},
            },
            {
                "name": "ordering",
                "required": False,
                "in": "query",
                "description": "Sort order.",
                "schema": {"type": "string", "enum": orderings},
            },
        ]
