"""Activates each signed-in person's own time zone and language (rules 9 and 10)."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


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
