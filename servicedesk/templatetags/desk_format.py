"""Formatting for dense console lists, done in Python once per value.

A queue page shows two times on each of 50 rows; as an included template each took four or five
template filters and a time-zone conversion, about 30 ms a page (bench/README.md).
"""

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

NO_TIME = mark_safe('<span class="text-body-tertiary">—</span>')  # noqa: S308 - constant markup


@register.filter
def when(value):
    """Short local time: today → 14:05, this year → Mar 3, older → 2024-03-03; the full time on hover."""
    if not value:
        return NO_TIME
    local = timezone.localtime(value)
    today = timezone.localdate()
    if local.date() == today:
        text = local.strftime("%H:%M")
    elif local.year == today.year:
        text = formats.date_format(local, gettext("M j"))
    else:
        text = local.strftime("%Y-%m-%d")
    return format_html('<time datetime="{}" title="{}">{}</time>',
                       local.isoformat(), local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or ""), text)


@register.filter
def duration(seconds):
    """Business time left, short: 2d 3h, 3h 20m, 45m; negative (overdue) with a minus sign."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    minutes = abs(int(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes}m"
    return f"{sign}{minutes}m"
