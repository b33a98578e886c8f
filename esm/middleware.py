"""Middleware: each person's time zone and language; NUL bytes refused; JSON errors under /api/."""

import zoneinfo

from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz_name = getattr(getattr(request, "user", None), "time_zone", "") or ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name)) if tz_name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        # A language chosen in the profile wins over the browser's Accept-Language.
        language = getattr(getattr(request, "user", None), "language", "") or ""
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class NulBytesMiddleware:
    """A NUL byte in the path is refused before any view sees it.

    PostgreSQL text cannot hold NUL, so ``/desk/incidents/INC%00/`` reached the database and failed
    with a 500. Nothing legitimate carries one, so it is a 404. (Query parameters are the forms' and
    filters' to check: a NUL there is a field error, or ignored by a search.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            raise Http404
        return self.get_response(request)


API_ERROR_DETAILS = {403: exceptions.PermissionDenied.default_detail, 404: exceptions.NotFound.default_detail}
API_ERROR_CODES = {400: "bad_request", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed",
                   413: "request_too_large", 500: "server_error"}


class APIErrorsAsJSONMiddleware:
    """Errors under /api/ are JSON (``{"detail": ..., "code": ...}``) even when Django, not DRF, answers.

    DRF formats errors raised in API views; anything else — an unexpected exception (500), a path
    no route matches, a refused request before the view — gets Django's HTML page, which an API
    client cannot read. This rewrites those answers, keeping the status code.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path_info.startswith("/api/") and response.status_code >= 400
                and not isinstance(response, Response)  # DRF's own: already formatted (or browsable)
                and not response.get("Content-Type", "").startswith("application/json")):
            return self.as_json(response)
        return response

    @staticmethod
    def as_json(response):
        status = response.status_code
        detail = API_ERROR_DETAILS.get(status) or (_("A server error occurred.") if status >= 500
                                                   else response.reason_phrase)
        json_response = JsonResponse({"detail": str(detail), "code": API_ERROR_CODES.get(status, "error")},
                                     status=status)
        for header, value in response.headers.items():  # Allow, Retry-After, security headers, …
            if header.lower() not in ("content-type", "content-length"):
                json_response[header] = value
        json_response.cookies = response.cookies
        return json_response
