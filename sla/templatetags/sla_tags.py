"""Template helpers for SLA pages: business durations people can read."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def business_duration(seconds) -> str:
    """3725 → "1 h 2 min"; negative values read the same (the template says "overdue")."""
    try:
        seconds = abs(int(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours == 0:
        return _("%(m)d min") % {"m": minutes}
    if hours >= 48 or minutes == 0:
        return _("%(h)d h") % {"h": hours}
    return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}


@register.filter
def pause_list(pauses) -> list:
    """Stored pauses with parsed instants, newest first."""
    from datetime import datetime

    out = []
    for p in pauses or []:
        out.append({"from": datetime.fromisoformat(p["from"]),
                    "until": datetime.fromisoformat(p["until"]) if p.get("until") else None,
                    "state": p.get("state", ""), "reason": p.get("reason", "")})
    return list(reversed(out))


@register.filter
def metric_label(value) -> str:
    """"response" → "Response" (translated)."""
    from ..choices import Metric

    return str(dict(Metric.choices).get(value, value))
