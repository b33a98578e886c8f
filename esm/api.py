"""API plumbing shared by every app: the exception handler and If-Match/ETag helpers.

Error bodies follow one shape: ``{"detail": "...", "code": "..."}`` for request-level errors and
``{"field": ["message", ...]}`` for field errors (DRF's own format).
"""

import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


def validation_error_body(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": exc.detail, "code": exc.code, **exc.extra}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", None) or "error"}
    return response


def etag_for(version: int) -> str:
    return f'"{version}"'


# One element of an If-Match list (RFC 9110 §8.8.3, §13.1.1): optional whitespace, an entity-tag
# (weak or strong) or nothing (empty elements are allowed), optional whitespace, a comma or the end.
_IF_MATCH_ELEMENT = re.compile(r'[ \t]*(?:(W/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|\Z)')
NO_VERSION = -1  # no record has it: the service's locked comparison answers 412 with the current version


def parse_if_match(header: str) -> list[tuple[bool, str]] | None:
    """``If-Match`` as ``[(weak, opaque-tag), ...]``, or None for ``*``; ValueError if not entity-tags."""
    header = header.strip(" \t")
    if header == "*":
        return None
    tags, position = [], 0
    while position < len(header):
        element = _IF_MATCH_ELEMENT.match(header, position)
        if element is None or element.end() == position:
            raise ValueError(header)
        if element.group(2) is not None:
            tags.append((bool(element.group(1)), element.group(2)))
        position = element.end()
    if not tags:
        raise ValueError(header)
    return tags


def if_match_version(request, current: int) -> int | None:
    """The version a write must find, from ``If-Match``, for a record whose version is ``current``.

    None when there is no header or it is ``*`` (the record exists). A list naming the current
    version as a strong tag (``"3"``, or ``"1", "3"``) gives ``current``, which the service checks
    again under its row lock. Any other well-formed tag — another number, a non-numeric tag, a weak
    tag (``W/"3"``: If-Match compares strongly) — gives ``NO_VERSION``, a 412 with the current
    version. Only a header that is not entity-tags at all (``abc``, ``"unterminated``) is a 400.
    """
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        return None
    try:
        tags = parse_if_match(header)
    except ValueError:
        raise exceptions.ValidationError(
            {"If-Match": [_('Expected "*" or entity-tags such as "%(version)s".') % {"version": current}]})
    if tags is None:
        return None
    if any(not weak and opaque == str(current) for weak, opaque in tags):
        return current
    return NO_VERSION


# --- Schema pieces --------------------------------------------------------------------------

ErrorSerializer = inline_serializer(
    "Error",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
    },
)
ConflictSerializer = inline_serializer(
    "TransitionConflict",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "allowed": serializers.ListField(child=serializers.CharField(), required=False),
    },
)
StaleSerializer = inline_serializer(
    "StaleVersion",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "current_version": serializers.IntegerField(),
    },
)
FieldErrorsSerializer = inline_serializer(
    "FieldErrors",
    fields={"field_name": serializers.ListField(child=serializers.CharField())},
)



@extend_schema_field({
    "type": "array",
    "items": {"oneOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    ]},
    "description": "Messages about the list as a whole (strings), or one object per item in order, with that "
                   "item's messages per field (an empty object for an item without errors).",
    "example": [{}, {"field_name": ["This field is required."]}],
})
class ItemErrorsField(serializers.ListField):
    pass


def item_field_errors(component: str, *list_fields: str) -> OpenApiResponse:
    """The 400 of a body holding lists of objects (``{"targets": [{}, {"metric": ["..."]}]}``)."""
    fields = {"field_name": serializers.ListField(child=serializers.CharField(), required=False)}
    fields.update({name: ItemErrorsField(required=False) for name in list_fields})
    return OpenApiResponse(inline_serializer(component, fields=fields),
                           description="Invalid input, with messages per field; errors in "
                                       + ", ".join(f"`{name}`" for name in list_fields)
                                       + " are given per item.")


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag (`"version"`) you read; the write is refused with 412 when the record has changed.',
)

ERR_400 = OpenApiResponse(FieldErrorsSerializer, description="Invalid input, with messages per field.")
ERR_400_IF_MATCH = OpenApiResponse(FieldErrorsSerializer, description=(
    'The If-Match header is not "*" or a list of entity-tags: `{"If-Match": ["..."]}`. A well-formed tag '
    "that is not the current version is a 412."))
ERR_401 = OpenApiResponse(ErrorSerializer, description="Not authenticated.")
ERR_403 = OpenApiResponse(ErrorSerializer, description="Not allowed for this user.")
ERR_404 = OpenApiResponse(ErrorSerializer, description="Not found (or not visible to this user).")
ERR_409 = OpenApiResponse(ConflictSerializer, description="Refused by a business rule.")
ERR_412 = OpenApiResponse(StaleSerializer, description="The record changed since the given If-Match version.")
ERR_429 = OpenApiResponse(ErrorSerializer, description="Too many attempts; retry after Retry-After seconds.")

READ_ERRORS = {401: ERR_401, 403: ERR_403, 404: ERR_404}
LIST_ERRORS = {400: ERR_400, 401: ERR_401, 403: ERR_403}
WRITE_ERRORS = {400: ERR_400, 401: ERR_401, 403: ERR_403, 404: ERR_404, 409: ERR_409, 412: ERR_412}


_ERRORS_BY_CODE = {400: ERR_400, 401: ERR_401, 403: ERR_403, 404: ERR_404, 409: ERR_409, 412: ERR_412, 429: ERR_429}


def error_responses(*codes: int) -> dict:
    """The schema's error responses for these status codes, e.g. ``error_responses(400, 403, 404)``."""
    return {code: _ERRORS_BY_CODE[code] for code in codes}


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the list's filters.

    Building and validating a FilterSet form costs several milliseconds of CPU per request even
    when nothing is filtered (a list endpoint's budget is about 10); with none of its parameters
    present it would return the queryset unchanged anyway (no filter declares a default).
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(name in request.query_params
                                                   for name in filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)
