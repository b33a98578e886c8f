"""Formatting for dense console lists, done in Python once per value.

A queue page shows two times on each of 50 rows; as an included template each took four or five
template filters and a time-zone conversion, about 30 ms a page (bench/README.md). The rows
themselves are built by ``queue_row`` for the same reason: resolving a dozen template variables
per cell for 50 rows cost more CPU than the page's queries.
"""

import functools
from html import escape as esc

from django import template
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from esm.durations import time_left

register = template.Library()

# A row with a process's badge (e.g. a major incident) is marked at its edge too.
FLAGGED_ROW = ' class="esm-major"'
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
        text = _month_day(local.date(), get_language())
    else:
        text = local.strftime("%Y-%m-%d")
    title = local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")
    return mark_safe(f'<time datetime="{local.isoformat()}" title="{esc(title)}">{esc(text)}</time>')  # noqa: S308


@functools.lru_cache(maxsize=1024)
def _month_day(day, _language) -> str:
    """"Mar 3" in the reader's language (the same few dates recur on every queue page)."""
    return formats.date_format(day, gettext("M j"))


@register.filter
def duration(seconds):
    """Business time left: "3 h 20 min left", "overdue by 8 h" (``esm.durations``)."""
    return time_left(seconds)


@register.simple_tag
def queue_row(row):
    """One ``<tr>`` of the console queue (``servicedesk.views.desk.QueueRow``).

    Built with the standard library's ``html.escape`` on each value: Django's ``format_html`` costs
    several times more per call, and a page makes over a thousand of them.
    """
    t = row.ticket
    number = (f'<a class="esm-row-link" href="{esc(row.url)}">{esc(t.number)}</a>' if row.url else esc(t.number))
    title = esc(t.title)
    shown_title = "".join(f'<span class="badge text-bg-danger me-1">{esc(b)}</span>' for b in row.badges) + title
    state = (f'<span class="badge text-bg-{row.state.badge}">{esc(row.state.label)}</span>' if row.state
             else esc(t.state))
    assignee = (esc(t.assignee.display_name) if t.assignee
                else f'<span class="text-body-tertiary">{esc(gettext("unassigned"))}</span>')
    if row.sla:
        paused = row.sla["state"] == "paused"
        tip = f'{row.sla["metric"]} · {row.sla["definition"]}' + (f' · {gettext("paused")}' if paused else "")
        # A word, not a pause glyph: U+23F8 is missing from common default fonts (an empty box).
        left = (f'<span class="badge text-bg-{row.sla["badge"]} esm-time-left" title="{esc(tip)}">'
                f'{esc(time_left(row.sla["remaining_seconds"], row.sla["breached"]))}'
                f'{" · " + esc(gettext("paused")) if paused else ""}</span>')
    else:
        left = NO_TIME
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<tr{FLAGGED_ROW if row.badges else ""}>'
        # Selecting rows feeds the bulk actions under the table (form "queue-selection").
        f'<td><input class="form-check-input" type="checkbox" form="queue-selection" name="number" '
        f'value="{esc(t.number)}" aria-label="{esc(gettext("Select"))} {esc(t.number)}"></td>'
        f'<td class="font-monospace">{number}</td>'
        f'<td><span class="badge text-bg-{row.priority_badge} esm-prio">P{t.priority}</span></td>'
        f'<td class="esm-title" title="{title}">{shown_title}</td><td>{state}</td>'
        f'<td class="esm-cell">{esc(t.requester.display_name)}</td>'
        f'<td class="esm-cell">{esc(t.team.name) if t.team else "—"}</td>'
        f'<td class="esm-cell">{assignee}</td>'
        f'<td class="esm-cell">{esc(t.service.name) if t.service else "—"}</td>'
        f"<td>{left}</td><td>{when(t.updated_at)}</td><td>{when(t.opened_at)}</td></tr>"
    )
