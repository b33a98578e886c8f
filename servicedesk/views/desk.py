"""The agent console shell: access control, the ticket queue, kind dispatch and shared pickers.

Process apps build their ticket pages on top of this: they decorate views with ``desk_required``
and are reached through ``desk:ticket_detail``, which looks up the page of a ticket's kind in the
process registry (servicedesk/registry.py), so this module imports no process app.
"""

import functools
import re
from dataclasses import dataclass, field
from html import escape as esc

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team, User, display_name
from cmdb.models import ConfigurationItem
from esm.access import desk_required
from esm.batch import read_prepared
from esm.errors import DomainError
from esm.pagination import InvalidCursor, keyset_paginate, query_without

from .. import page_cache
from .. import services as desk_services
from ..choices import PRIORITY_BADGE, Priority
from ..filters import TicketFilterSet
from ..models import Category, Ticket
from ..queries import (
    DEFAULT_TICKET_ORDERING,
    TICKET_ORDERING_FILTERS,
    TICKET_ORDERINGS,
    is_ticket_number,
    queue_filter,
    ticket_rows_queryset,
    tickets_visible_to,
)
from ..registry import (
    all_state_choices,
    desk_landing,
    details_relations,
    extra_queues,
    row_badges,
    row_fields,
    state_of,
    ticket_panel,
    ticket_url,
)
from ..templatetags.desk_format import queue_row
from ..workflow import State

QUEUE_PAGE_SIZE = 50
LOOKUP_LIMIT = 20

QUEUE_LABELS = {
    "mine": _("My work"),
    "my_teams": _("My teams"),
    "unassigned": _("Unassigned"),
    "open": _("All open"),
    "breaching": _("Breaching soon"),
    "all": _("Everything"),
}


def queue_labels() -> dict:
    """The shared queues with each process's own (e.g. major incidents) after "Unassigned"."""
    labels = list(QUEUE_LABELS.items())
    labels[3:3] = [(q.name, q.label) for q in extra_queues()]
    return dict(labels)

DEFAULT_QUEUE = "mine"
# "Everything" includes finished tickets, which the partial priority indexes do not cover: newest
# first walks the full (opened_at, id) index instead.
QUEUE_DEFAULT_ORDERING = {"all": "-opened_at", "breaching": "sla_due"}
ORDERING_LABELS = {
    "priority": _("Priority"),
    "-opened_at": _("Newest"),
    "opened_at": _("Oldest"),
    "-updated_at": _("Recently updated"),
    "sla_due": _("SLA due soonest"),
}

def ticket_desk_url(kind: str, number: str) -> str | None:
    """The console page of a ticket, from its process's registration."""
    return ticket_url(kind, number, "desk")


# --- Access ---------------------------------------------------------------------------------


def is_partial(request, target: str) -> bool:
    """An htmx request that wants only the element ``target`` back (not a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and htmx.target == target


# --- Queue ----------------------------------------------------------------------------------


@dataclass
class QueueRow:
    ticket: Ticket
    url: str | None
    state: State | None
    priority_badge: str
    sla: dict | None = None  # the clock nearest to breach, from the SLA app's "sla_clocks" panel
    badges: list[str] = field(default_factory=list)  # the process's own (e.g. "MAJOR")


# The SLA app's colours (from each agreement's own warning thresholds) as badge classes.
CLOCK_BADGES = {"orange": "warning border border-danger"}


def nearest_clock(clocks: list[dict]) -> dict | None:
    """The running clock with the least time left (else a paused one), with the badge colour to show."""
    running = [c for c in clocks if c["state"] == "running"]
    paused = [c for c in clocks if c["state"] == "paused"]
    candidates = running or paused
    if not candidates:
        return None
    clock = min(candidates, key=lambda c: c["remaining_seconds"])
    if clock["breached"] or clock["remaining_seconds"] <= 0:
        badge = "danger"
    elif clock["state"] == "paused":
        badge = "secondary"
    else:
        badge = CLOCK_BADGES.get(clock["colour"], clock["colour"])
    return {**clock, "badge": badge}


@dataclass
class FilterSelect:
    name: str
    label: str
    options: list[tuple[str, str]]
    selected: set[str] = field(default_factory=set)

    def options_html(self) -> str:
        """The ``<option>``s, built in one pass with the standard library's escape (the agents' select
        alone has hundreds; Django's ``format_html`` costs several times more per call)."""
        return mark_safe("".join(  # noqa: S308 - values and labels are escaped
            f'<option value="{esc(value)}"{" selected" if value in self.selected else ""}>{esc(str(label))}</option>'
            for value, label in self.options
        ))


def _filter_reads(_ids: dict) -> dict:
    return {
        "teams": Team.objects.filter(active=True).order_by("name").values_list("id", "name"),
        "agents": User.objects.filter(
            is_active=True, pk__in=Team.members.through.objects.filter(team__active=True).values("user_id"))
        .order_by("first_name", "last_name", "username").values_list("id", "first_name", "last_name", "username"),
        "categories": Category.objects.filter(active=True).order_by("parent__name", "name", "id")
        .values_list("id", "name", "parent__name"),
        "services": ConfigurationItem.objects.services().order_by("name").values_list("id", "name"),
    }


@dataclass(frozen=True)
class RenderedSelect:
    name: str
    label: str
    options_html: str
    active: bool


def _filter_selects(params: QueryDict) -> list[RenderedSelect]:
    """The filter bar's selects, kept for the minute: a team, agent, category or service added in the
    console is offered from the next minute on. The lists come in one prepared query."""
    chosen = [(name, sorted(params.getlist(name))) for name in FILTER_SELECTS]
    minute = timezone.now().replace(second=0, microsecond=0)
    key = page_cache.fragment_key("queue-filter-selects", chosen, minute.isoformat())
    kept = page_cache.get(key)
    if kept is not None:
        return [RenderedSelect(*fields) for fields in kept]
    selects = [(s.name, str(s.label), str(s.options_html()), bool(s.selected)) for s in _filter_choices(params)]
    page_cache.keep(key, selects, ttl=120)
    return [RenderedSelect(*fields) for fields in selects]


FILTER_SELECTS = ("state", "priority", "team_id", "assignee_id", "category_id", "service_id")


def _filter_choices(params: QueryDict) -> list[FilterSelect]:
    """The filter bar's choices in one query (``esm.batch``) whatever the queue's size; agents only as assignees."""
    found = read_prepared(("queue-filter-selects",), _filter_reads, {})
    selects = [
        FilterSelect("state", _("State"), [(str(v), str(label)) for v, label in all_state_choices()]),
        FilterSelect("priority", _("Priority"), [(str(v), f"P{v}") for v in Priority.values]),
        FilterSelect("team_id", _("Team"), [(str(pk), name) for pk, name in found["teams"]]),
        FilterSelect("assignee_id", _("Assignee"), [(str(pk), display_name(first, last, username))
                                                     for pk, first, last, username in found["agents"]]),
        FilterSelect("category_id", _("Category"), [(str(pk), f"{parent} / {name}" if parent else name)
                                                     for pk, name, parent in found["categories"]]),
        FilterSelect("service_id", _("Service"), [(str(pk), name) for pk, name in found["services"]]),
    ]
    for select in selects:
        select.selected = set(params.getlist(select.name))
    return selects


def _ticket_by_number(user, text: str) -> Ticket | None:
    if not is_ticket_number(text):
        return None
    return tickets_visible_to(user).filter(number=text.strip().upper()).only("kind", "number").first()


# Queue rows change with their tickets (version), the SLA due time and, for the time left, the minute.
# People's, teams' and services' names are not in the key: a rename shows within that minute.
def _light_facts(found: list[dict]) -> list[tuple]:
    return [(r["id"], r["version"], r["sla_due_at"]) for r in found]


def queue_rows_html(request, found: list[dict]) -> str:
    """The ``<tr>``s of the tickets ``found`` (light rows, in page order), from the cache if kept."""
    if not found:
        return ""
    minute = timezone.now().replace(second=0, microsecond=0)
    key = page_cache.fragment_key("queue-rows", _light_facts(found), minute.isoformat())
    html = page_cache.get(key)
    if html is None:
        ids = [r["id"] for r in found]
        tickets = ticket_rows_queryset(request.user, select=details_relations(), extra_fields=row_fields(),
                                       lookups=("team", "service")).filter(pk__in=ids)
        by_id = {t.pk: t for t in tickets}
        ordered = [by_id[pk] for pk in ids if pk in by_id]
        clocks = ticket_panel("sla_clocks", ordered, request)
        html = "".join(queue_row(QueueRow(
            ticket=t, url=ticket_desk_url(t.kind, t.number), state=state_of(t.kind, t.state),
            priority_badge=PRIORITY_BADGE.get(t.priority, "secondary"),
            sla=nearest_clock(clocks.get(t.pk, [])), badges=row_badges(t))) for t in ordered)
        page_cache.keep(key, html, ttl=120)
    return mark_safe(html)  # noqa: S308 - built by queue_row, every value escaped


@desk_required
@require_GET
def queue(request):
    params = request.GET
    # The navbar's search box: a ticket number goes straight to the ticket.
    if params.get("go") and (ticket := _ticket_by_number(request.user, params.get("q", ""))):
        url = ticket_desk_url(ticket.kind, ticket.number)
        if url:
            return redirect(url)

    # The console's root is where each role's work starts (configuration managers: the CMDB, ...).
    if not params and not getattr(request, "htmx", False) and (landing := desk_landing(request.user)):
        return redirect(landing)
    labels = queue_labels()
    queue_name = params.get("queue") if params.get("queue") in labels else DEFAULT_QUEUE
    # The page is found with a light read (ids, versions, the ordering's values); the rows' HTML is
    # kept under it (queue_rows_html), so a queue nobody changed is not read and drawn again.
    base = tickets_visible_to(request.user).filter(queue_filter(request.user, queue_name))
    filterset = TicketFilterSet(params, queryset=base, request=request)
    ordering = params.get("ordering")
    if ordering not in TICKET_ORDERINGS:
        ordering = QUEUE_DEFAULT_ORDERING.get(queue_name, DEFAULT_TICKET_ORDERING)
    light = filterset.qs.values("id", "version", "sla_due_at",
                                *{f.lstrip("-") for f in TICKET_ORDERINGS[ordering]} - {"id"})

    cursor_error = None
    paginate = functools.partial(keyset_paginate, light, orderings=TICKET_ORDERINGS, ordering=ordering,
                                 default_ordering=DEFAULT_TICKET_ORDERING, page_size=QUEUE_PAGE_SIZE,
                                 ordering_filters=TICKET_ORDERING_FILTERS)
    try:
        page = paginate(cursor=params.get("cursor") or None)
    except InvalidCursor as exc:
        cursor_error = exc.messages[0]
        page = paginate(cursor=None)
    # The whole page is kept under the same facts as its rows, plus the address and the person.
    minute = timezone.now().replace(second=0, microsecond=0)
    whole_key = page_cache.page_key(request, "queue-page", _light_facts(page.items), page.next_cursor,
                                    page.previous_cursor, cursor_error, minute.isoformat())
    html = page_cache.get(whole_key) if whole_key else None
    if html is not None:
        response = page_cache.page_response(request, html)
        patch_vary_headers(response, ["HX-Request"])
        return response
    rows_html = queue_rows_html(request, page.items)

    filter_query = query_without(params, "cursor", "queue", "go")
    page_query = query_without(params, "cursor", "go")
    context = {
        "queue": queue_name,
        "queues": list(labels.items()),
        "rows_html": rows_html,
        "row_count": len(page.items),
        "page": page,
        "ordering": ordering,
        "orderings": list(ORDERING_LABELS.items()),
        "filterset": filterset,
        "filter_errors": filterset.errors if filterset.is_bound else {},
        "cursor_error": cursor_error,
        "q": params.get("q", ""),
        "filter_query": filter_query,
        "page_query": page_query,
        "sort_query": query_without(params, "cursor", "ordering", "go"),
        "filtered": any(params.get(s) for s in ("q", "state", "priority", "team_id", "assignee_id",
                                                 "category_id", "service_id")),
    }
    if is_partial(request, "queue-results"):
        template = "desk/_queue_results.html"
    else:
        template = "desk/queue.html"
        context["selects"] = _filter_selects(params)
    html = render_to_string(template, {**context, "csrf_token": page_cache.CSRF_PLACEHOLDER}, request=request)
    if whole_key:
        page_cache.keep(whole_key, html, ttl=120)
    response = page_cache.page_response(request, html)
    patch_vary_headers(response, ["HX-Request"])
    return response


@desk_required
@require_GET
def ticket_detail(request, number: str):
    """Any ticket by number: redirect to the console page of its kind."""
    ticket = tickets_visible_to(request.user).filter(number=number.strip().upper()).only("kind", "number").first()
    url = ticket and ticket_desk_url(ticket.kind, ticket.number)
    if not url:
        raise Http404
    return redirect(url)


# --- Pickers (htmx fragments) ---------------------------------------------------------------

FIELD_NAME_RE = re.compile(r"^[a-z_]{1,40}$")


def users_matching(text: str):
    """Active people whose name, username or e-mail starts with ``text``; at most LOOKUP_LIMIT."""
    text = (text or "").strip()[:100]
    if not text or "\x00" in text:
        return User.objects.none()
    condition = (Q(username__istartswith=text) | Q(email__istartswith=text) | Q(first_name__istartswith=text)
                 | Q(last_name__istartswith=text))
    parts = text.split()
    if len(parts) == 2:  # "Alice Kim" or "Kim Alice"
        a, b = parts
        condition |= Q(first_name__istartswith=a, last_name__istartswith=b)
        condition |= Q(first_name__istartswith=b, last_name__istartswith=a)
    return (User.objects.filter(condition, is_active=True).select_related("organisation")
            .order_by("first_name", "last_name", "username")[:LOOKUP_LIMIT])


@desk_required
@require_GET
def user_lookup(request):
    """Radio buttons for the people matching ``q``, named ``name`` (a requester picker)."""
    name = request.GET.get("name", "requester")
    if not FIELD_NAME_RE.match(name):
        name = "requester"
    text = request.GET.get("q") or request.GET.get(f"{name}_q", "")
    return render(request, "desk/_user_options.html", {
        "users": list(users_matching(text)), "name": name, "q": text, "selected": "",
        "limit": LOOKUP_LIMIT,
    })


def assignee_groups(team_id: int | None = None) -> list[tuple[Team, list[User]]]:
    """Active members of one team (or of every active team), for assignee selects: two queries."""
    teams = Team.objects.filter(active=True).prefetch_related(
        Prefetch("members", queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name"))
    )
    if team_id is not None:
        teams = teams.filter(pk=team_id)
    return [(t, list(t.members.all())) for t in teams]


@desk_required
@require_GET
def team_members(request):
    """``<option>``s of one team's members (the assignee select follows the team select)."""
    # The select may carry a form prefix ("assign-team").
    raw = next((v for k, v in request.GET.items() if k == "team" or k.endswith("-team")), "")
    selected = next((v for k, v in request.GET.items() if k == "assignee" or k.endswith("-assignee")), "")
    groups = assignee_groups(int(raw)) if raw.isdigit() and len(raw) < 18 else []
    return render(request, "desk/_assignee_options.html", {"groups": groups, "selected": selected,
                                                           "grouped": False})


# --- Watchers -------------------------------------------------------------------------------


@desk_required
@require_POST
def ticket_watchers(request, number: str):
    """Watch / stop watching (``action=watch|unwatch``), or add / remove someone (``action=add|remove&user=ID``)."""
    ticket = tickets_visible_to(request.user).filter(number=number.strip().upper()).first()
    url = ticket and ticket_desk_url(ticket.kind, ticket.number)
    if not url:
        raise Http404
    action = request.POST.get("action", "")
    raw_user = request.POST.get("user", "")
    if action in ("watch", "unwatch"):
        user = request.user
    elif action in ("add", "remove") and raw_user.isdigit() and len(raw_user) < 18:
        user = User.objects.filter(pk=int(raw_user)).first()
    else:
        user = None
    if user is None:
        messages.error(request, _("Choose a person first."))
        return redirect(url + "#watchers")
    try:
        changed = desk_services.ticket_watch(ticket=ticket, actor=request.user, user=user,
                                             watching=action in ("watch", "add"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        if changed:
            messages.success(request, _("Watchers updated."))
    return redirect(url + "#watchers")
