"""Logging filters for the console the server writes to."""

import logging


class QuietForbidden(logging.Filter):
    """A refused request (403) is routine, not a fault: one line, no traceback.

    Django logs PermissionDenied on the ``django.request`` logger with the exception attached, so
    every 403 printed a traceback in the terminal; the line with the path stays.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
