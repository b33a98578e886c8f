"""The signed survey link: it names one ticket and expires with the policy's expiry.

The token is Django signing over ``{"t": ticket id, "d": days valid}`` with its own salt, so it
cannot be made or altered without the secret key, and a token of another feature (a password
reset, a calendar feed) is not a survey link. Its age is checked against the days it carries,
which the signature covers; the survey row's ``expires_at`` says the same and is what pages show.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "surveys.link"


class LinkError(Exception):
    """A link that does not open a survey: forged or malformed, or ``expired``."""

    def __init__(self, *, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def make_token(*, ticket_id: int, days: int) -> str:
    return signing.dumps({"t": ticket_id, "d": days}, salt=SALT, compress=False)


def read_token(token: str) -> int:
    """The ticket id a token names; ``LinkError`` when it is forged or malformed (expired=False) or too old."""
    try:
        payload = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkError(expired=False) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int) or not isinstance(payload.get("d"), int):
        raise LinkError(expired=False)
    try:
        signing.loads(token, salt=SALT, max_age=timedelta(days=payload["d"]))
    except signing.SignatureExpired:
        raise LinkError(expired=True) from None
    return payload["t"]


def survey_url(*, ticket_id: int, days: int, absolute: bool = True) -> str:
    url = reverse("portal:survey", args=[make_token(ticket_id=ticket_id, days=days)])
    return settings.SITE_URL + url if absolute else url
