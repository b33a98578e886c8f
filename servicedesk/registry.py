"""The one place a process (a kind of work on the shared ticket record) plugs into the service desk.

Each process app registers one ``Process`` from its ``AppConfig.ready()``: its kind and number
prefix, its workflow, the URL names of its console, portal and API pages, its hold reasons and the
states in which the requester is asked to act, the queues and row badges it adds to the console,
and the panels its pages show. Queues, search results, notifications, e-mails, the timeline and the
SLA clocks read everything about a kind from here, so the service desk imports no process app and
a new process needs edits in its own app only (docs/architecture.md, "Processes").

Higher layers (sla/) that add data to every process's pages register *panel providers* here too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from .workflow import State, Workflow


@dataclass(frozen=True)
class HoldReason:
    """Why a ticket is in its process's hold state; stored on the state-change timeline entry."""

    value: str
    label: str | Promise
    # What the portal tells the requester while the ticket waits for this reason.
    hint: str | Promise = ""
    waiting_for_requester: bool = False


@dataclass(frozen=True)
class Queue:
    """A console queue a process adds (e.g. major incidents): a condition on active tickets."""

    name: str
    label: str | Promise
    condition: Callable[[object], Q]  # fn(user) -> Q


@dataclass(frozen=True)
class Process:
    kind: str
    label: str | Promise  # "Incident"
    label_plural: str | Promise  # "Incidents"
    number_prefix: str  # "INC"
    workflow: Workflow
    desk_url: str  # URL names taking the ticket number
    portal_url: str = ""
    api_url: str = ""
    # The process's own one-to-one row (related name on Ticket), joined by lists that need it.
    details: str = ""
    hold_state: str = ""
    hold_reasons: tuple[HoldReason, ...] = ()
    # The current hold reason of a ticket (read from the details row the lists join).
    hold_reason_of: Callable[[object], str] | None = None
    # States in which the requester is asked to act (e.g. confirm a resolution).
    waiting_states: frozenset[str] = frozenset()
    # Panel providers (below) its console page shows, in order.
    panels: tuple[str, ...] = ()
    queues: tuple[Queue, ...] = ()
    # Extra fields a console queue row reads, and the badges it shows before the title.
    row_fields: tuple[str, ...] = ()
    row_badges: Callable[[object], list[str]] | None = None
    # Approvals (servicedesk/approvals.py): the user ids who may not approve a ticket (segregation
    # of duties, e.g. a change's requester and implementer), asked when an approval is requested and
    # again at every vote; and what happens to the ticket when its approval is decided, called in
    # the vote's transaction with (ticket, outcome "approved"/"rejected", actor).
    approval_excluded: Callable[[object], set[int]] | None = None
    approval_decided: Callable[[object, str, object], None] | None = None
    _reasons: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_reasons", {r.value: r for r in self.hold_reasons})
        assert not self.hold_reasons or self.hold_state, "hold reasons need a hold state"

    def hold_reason(self, value: str) -> HoldReason | None:
        return self._reasons.get(value or "")

    def state(self, value: str) -> State | None:
        try:
            return self.workflow.state(value)
        except KeyError:
            return None


_PROCESSES: dict[str, Process] = {}


def register(process: Process) -> None:
    """Called from the process app's ``AppConfig.ready()``; registering a kind again replaces it."""
    other = next((p for p in _PROCESSES.values() if p.number_prefix == process.number_prefix
                  and p.kind != process.kind), None)
    assert other is None, f"number prefix {process.number_prefix} is already {other.kind}'s"
    _PROCESSES[process.kind] = process


def unregister(kind: str) -> None:
    _PROCESSES.pop(kind, None)


def processes() -> list[Process]:
    return list(_PROCESSES.values())


def process_for(kind: str) -> Process:
    return _PROCESSES[kind]


def find(kind: str) -> Process | None:
    return _PROCESSES.get(kind)


def kind_choices() -> list[tuple[str, str | Promise]]:
    return [(p.kind, p.label) for p in _PROCESSES.values()]


def number_prefixes() -> list[str]:
    return [p.number_prefix for p in _PROCESSES.values()]


# --- Workflows ------------------------------------------------------------------------------


def workflow_for(kind: str) -> Workflow:
    return _PROCESSES[kind].workflow


def state_of(kind: str, value: str) -> State | None:
    process = _PROCESSES.get(kind)
    return process.state(value) if process else None


def all_state_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for process in _PROCESSES.values():
        for state in process.workflow.states:
            seen.setdefault(state.value, state.label)
    return list(seen.items())


def all_hold_reasons() -> dict[str, HoldReason]:
    return {r.value: r for p in _PROCESSES.values() for r in p.hold_reasons}


# --- Links ----------------------------------------------------------------------------------


def ticket_url(kind: str, number: str, where: str = "desk", *, absolute: bool = False) -> str | None:
    """The ``desk``, ``portal`` or ``api`` page of a ticket, or None when its process has none."""
    process = _PROCESSES.get(kind)
    name = getattr(process, f"{where}_url", "") if process else ""
    if not name:
        return None
    pattern = _url_pattern(name, get_script_prefix(), get_language(), get_urlconf() or settings.ROOT_URLCONF)
    if pattern is None or not _NUMBER.fullmatch(number):
        try:
            url = reverse(name, args=[number])
        except NoReverseMatch:
            return None
    else:
        url = pattern.replace(_NUMBER_SLOT, number)
    return settings.SITE_URL + url if absolute else url


# A queue page links 50 tickets: reverse() each URL pattern once, then put the numbers in.
_NUMBER_SLOT = "ESMNUMBERSLOT0"
_NUMBER = re.compile(r"[A-Z0-9]{1,16}")


@functools.lru_cache(maxsize=256)
def _url_pattern(name: str, _prefix: str, _language: str | None, _urlconf) -> str | None:
    try:
        return reverse(name, args=[_NUMBER_SLOT])
    except NoReverseMatch:
        return None


# --- Lists ----------------------------------------------------------------------------------


def details_relations() -> tuple[str, ...]:
    """The processes' one-to-one rows, for ``select_related`` on lists that show them."""
    return tuple(p.details for p in _PROCESSES.values() if p.details)


def row_fields() -> tuple[str, ...]:
    return tuple(f for p in _PROCESSES.values() for f in p.row_fields)


def extra_queues() -> list[Queue]:
    return [q for p in _PROCESSES.values() for q in p.queues]


def row_badges(ticket) -> list[str]:
    process = _PROCESSES.get(ticket.kind)
    if process is None or process.row_badges is None:
        return []
    return process.row_badges(ticket)


# --- Panel providers (higher layers fill these) ---------------------------------------------
# ``ticket_panels``: name → fn(tickets, request) -> {ticket_id: data}, answered in a fixed number
# of queries (the SLA app's "sla_clocks" for serializers and the queue's "time left").
# ``desk_panels``: name → fn(ticket, request) -> HTML card for a ticket's console page.

TicketPanel = Callable[[list, object], dict]
DeskPanel = Callable[[object, object], str]

ticket_panels: dict[str, TicketPanel] = {}
desk_panels: dict[str, DeskPanel] = {}


def register_ticket_panel(name: str, fn: TicketPanel) -> None:
    ticket_panels[name] = fn


def register_desk_panel(name: str, fn: DeskPanel) -> None:
    desk_panels[name] = fn


def ticket_panel(name: str, tickets: list, request=None) -> dict:
    """Data of panel ``name`` per ticket id; empty when no app provides it."""
    fn = ticket_panels.get(name)
    if fn is None or not tickets:
        return {}
    return fn(tickets, request)


def desk_panels_html(ticket, request) -> str:
    """The console panels of the ticket's process that some app provides (already-escaped HTML)."""
    process = _PROCESSES.get(ticket.kind)
    names = process.panels if process else ()
    return mark_safe("".join(desk_panels[n](ticket, request) for n in names if n in desk_panels))  # noqa: S308


# --- Console landing pages ------------------------------------------------------------------
# (permission → URL name, query) of the console page a specialist role starts on (the CMDB for
# configuration managers, "Breaching soon" for service level managers).

desk_landings: dict[str, tuple[str, str]] = {}


def register_desk_landing(permission: str, url_name: str, query: str = "") -> None:
    desk_landings[permission] = (url_name, query)


def desk_landing(user) -> str | None:
    """The console page where ``user``'s work starts, or None for "My work".

    Only a person whose permissions point at exactly one specialist page lands there; agents, team
    leads and people holding several such roles (administrators) start on their own work.
    """
    pages = [(name, query) for permission, (name, query) in desk_landings.items() if user.has_perm(permission)]
    if len(pages) != 1:
        return None
    name, query = pages[0]
    return reverse(name) + query


def desk_landing_url(user) -> str:
    return desk_landing(user) or reverse("desk:queue")


# Self-help suggestions ("deflection"): while a requester describes a problem on the portal (the
# report form, the catalog search), each source offers what might answer it — knowledge articles,
# known errors' public workarounds. A source is fn(text, user, limit) -> list[Suggestion], returning
# only what that person may read, best first; the portal merges the sources by score.
@dataclass(frozen=True)
class Suggestion:
    source: str  # the registered source name, e.g. "article", "known_error"
    ident: str  # the suggested object's id within its source (counted when viewed)
    title: str
    snippet: str  # safe HTML: an excerpt with the matched words in <mark>
    url: str  # the portal page that shows it in full
    score: float  # comparable across sources: 0..1


SuggestionSource = Callable[[str, object, int], list[Suggestion]]
_SUGGESTION_SOURCES: dict[str, SuggestionSource] = {}


def register_suggestion_source(name: str, fn: SuggestionSource) -> None:
    _SUGGESTION_SOURCES[name] = fn


def suggestion_sources() -> dict[str, SuggestionSource]:
    return dict(_SUGGESTION_SOURCES)
