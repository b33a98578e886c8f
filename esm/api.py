"""API plumbing shared by every app: the exception handler and If-Match/ETag helpers.

Error bodies follow one shape: ``{"detail": "...", "code": "..."}`` for request-level errors and
``{"field": ["message", ...]}`` for field errors (DRF's own format).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
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


def if_match_version(request) -> int | None:
    """The version a client read, from ``If-Match: "N"``; None when the header is absent."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    try:
        number = int(value)
    except ValueError:
        raise exceptions.ValidationError({"If-Match": ['Expected an ETag of the form "N".']})
    if not 0 <= number < 2**31:
        raise exceptions.ValidationError({"If-Match": ["Out of range."]})
    return number


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

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag (`"version"`) you read; the write is refused with 412 when the record has changed.',
)

ERR_400 = OpenApiResponse(FieldErrorsSerializer, description="Invalid input, with messages per field.")
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
