"""Durations and SLA time left as people read them, for every page and list (one wording everywhere).

Business time is shown in hours and minutes, never in days: a "day" of an 8-hour calendar is not
24 hours, and "2d" next to a business-hours target misleads.
"""

from django.utils.translation import gettext as _


def human_duration(seconds) -> str:
    """3725 → "1 h 2 min"; 59 → "< 1 min"; 0 → "0 min"; 50 h and more → whole hours. Sign ignored."""
    try:
        seconds = abs(int(seconds))
    except (TypeError, ValueError):
        return ""
    if 0 < seconds < 60:
        return _("< 1 min")
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours == 0:
        return _("%(m)d min") % {"m": minutes}
    if hours >= 48 or minutes == 0:
        return _("%(h)d h") % {"h": hours}
    return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}


def time_left(remaining, breached: bool = False) -> str:
    """A clock's remaining business seconds: "8 h 5 min left", or "overdue by 8 h" once it is due."""
    if remaining is None:
        return ""
    remaining = int(remaining)
    if remaining <= 0 or breached:
        if remaining >= 0:
            return _("overdue")
        return _("overdue by %(d)s") % {"d": human_duration(remaining)}
    return _("%(d)s left") % {"d": human_duration(remaining)}
