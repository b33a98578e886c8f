"""Reads shared by pages and API: who sees which tickets, queues, search, the timeline."""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery
from django.db.models import BooleanField, Expression, Func, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Team
from accounts.roles import VIEW_ALL_TICKETS, can_work_tickets
from cmdb.models import ConfigurationItem

from . import registry
from .models import Category, Comment, Ticket, TimelineEntry

NUMBER_RE = re.compile(r"^\s*([A-Za-z]{2,6})\d{1,12}\s*$")


def is_ticket_number(text: str) -> bool:
    """``INC0001042`` (any registered process's prefix, any case, surrounding spaces allowed)."""
    match = NUMBER_RE.match(text or "")
    return bool(match) and match.group(1).upper() in registry.number_prefixes()


HANGUL_RE = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]+")
WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_SEARCH_TERMS = 12


class IdInArray(Func):
    """``<id> = ANY(ARRAY(<subquery>))``: a sub-select PostgreSQL runs once and matches by index."""

    template = "%(expressions)s"
    arg_joiner = " = ANY("
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        return f"({sql}))", params


def tickets_visible_to(user, base: QuerySet | None = None) -> QuerySet:
    """Deny by default: staff with the permission see all; others their own, shared and watched tickets."""
    qs = base if base is not None else Ticket.objects.all()
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.has_perm(VIEW_ALL_TICKETS):
        return qs
    own = Q(requester=user)
    if user.organisation_id and user.organisation.share_tickets:
        own |= Q(organisation_id=user.organisation_id)
    # Watched tickets as ``id = ANY(ARRAY(…))``, not EXISTS: PostgreSQL can then read all three parts
    # through indexes (a BitmapOr) and estimates a handful of rows. Under an OR an EXISTS is a filter
    # it guesses matches half the table, so a search or a short list walked the whole ticket table
    # in list order looking for 51 rows (5 s at 1,000,000 tickets, bench/README.md).
    watched = IdInArray("pk", ArraySubquery(
        Ticket.watchers.through.objects.filter(user_id=user.pk).values("ticket_id")))
    return qs.filter(own | Q(watched))


def can_view_ticket(user, ticket: Ticket) -> bool:
    return tickets_visible_to(user, Ticket.objects.filter(pk=ticket.pk)).exists()


def search_query(text: str) -> SearchQuery | None:
    """Build a tsquery: each word as a prefix; Korean words as their two-character tokens.

    Matches what ``esm_search_document`` indexes (migration servicedesk 0001).
    """
    parts = []
    for word in WORD_RE.findall(text or "")[:MAX_SEARCH_TERMS]:
        word = word.lower()
        if HANGUL_RE.fullmatch(word):
            grams = [word] if len(word) == 1 else [word[i:i + 2] for i in range(len(word) - 1)]
            parts.append(" & ".join(f"'{g}'" + (":*" if len(g) == 1 else "") for g in grams))
        else:
            hangul_runs = HANGUL_RE.findall(word)
            latin = HANGUL_RE.sub(" ", word).split()
            for token in latin:
                parts.append(f"'{token}':*")
            for run in hangul_runs:
                grams = [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
                parts.append(" & ".join(f"'{g}'" for g in grams))
    if not parts:
        return None
    return SearchQuery(" & ".join(f"({p})" for p in parts), search_type="raw", config="simple")


class TicketDocumentMatches(Expression):
    """``<ticket>.<column> @@ query`` for the audience search documents on the ticket row.

    Those columns are not model fields (servicedesk migrations 0007 and 0010 say why), so the ORM
    cannot name them; this expression does, qualified by the query's ticket table alias.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, query: SearchQuery):
        super().__init__()
        assert column in (PUBLIC_DOCUMENT, STAFF_DOCUMENT), column
        self.column, self.query = column, query

    def get_source_expressions(self):
        return [self.query]

    def set_source_expressions(self, exprs):
        (self.query,) = exprs

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        query_sql, params = compiler.compile(self.query)
        return f"{alias}.{connection.ops.quote_name(self.column)} @@ ({query_sql})", params


# One document per audience, each with one GIN index (servicedesk migration 0010): what the
# requester reads (title, description, public replies, resolution notes), and that plus work notes.
PUBLIC_DOCUMENT = "public_document"
STAFF_DOCUMENT = "staff_document"


def search_tickets(qs: QuerySet, text: str, *, internal: bool) -> QuerySet:
    """Tickets of ``qs`` whose title, description, comments or process fields (resolution notes)
    match ``text``, or the ticket with that number.

    ``internal`` says whether the person searching may read work notes (desk staff); without it
    only what the requester reads is searched, so a search never reveals a work note's words.
    Order and visibility stay those of ``qs``.
    """
    text = (text or "").strip()
    if not text:
        return qs
    if is_ticket_number(text):
        return qs.filter(number=text.strip().upper())
    query = search_query(text)
    if query is None:
        return qs.none()
    return qs.filter(TicketDocumentMatches(STAFF_DOCUMENT if internal else PUBLIC_DOCUMENT, query))


def queue_filter(user, queue: str) -> Q:
    """The console's queues, as conditions on active tickets."""
    if queue == "mine":
        return Q(active=True, assignee=user)
    if queue == "my_teams":
        return Q(active=True, team__in=user.teams.values("pk"))
    if queue == "unassigned":
        return Q(active=True, assignee__isnull=True)
    for extra in registry.extra_queues():  # a process's own (e.g. major incidents)
        if extra.name == queue:
            return extra.condition(user)
    if queue == "breaching":
        soon = timezone.now() + timedelta(minutes=settings.SLA_BREACHING_SOON_MINUTES)
        return Q(active=True, sla_due_at__lte=soon)
    if queue == "all":
        return Q()
    return Q(active=True)  # "open"


# Orderings offered by lists: each walks a composite index (see Ticket.Meta.indexes).
TICKET_ORDERINGS = {
    "priority": ("priority", "id"),
    "-opened_at": ("-opened_at", "-id"),
    "opened_at": ("opened_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    # Nearest SLA due time first; tickets without a running clock have none and are left out.
    "sla_due": ("sla_due_at", "id"),
}
TICKET_ORDERING_FILTERS = {"sla_due": Q(sla_due_at__isnull=False)}
DEFAULT_TICKET_ORDERING = "priority"


def ticket_list_queryset(user) -> QuerySet:
    return tickets_visible_to(user).select_related(
        "requester", "team", "assignee", "category", "service", *registry.details_relations()
    )


# What a list row (console queue, API list) shows, and nothing more: the people are joined, the
# three small lookup tables come by prefetch. Joining all six relations made PostgreSQL spend
# 10–40 ms per request *planning* the query at 1M tickets (bench/README.md), and loading every
# column of seven models (password hashes, CI descriptions) cost Python time for nothing.
ROW_FIELDS = (
    "kind", "number", "title", "state", "priority", "active", "opened_at", "updated_at", "resolved_at",
    "closed_at", "version", "sla_due_at", "team", "category", "service",
    "requester__username", "requester__first_name", "requester__last_name",
    "assignee__username", "assignee__first_name", "assignee__last_name",
)
ROW_LOOKUPS = {
    "team": lambda: Team.objects.only("id", "name"),
    "category": lambda: Category.objects.only("id", "name", "parent_id"),
    "service": lambda: ConfigurationItem.objects.only("id", "name"),
}


def ticket_rows_queryset(user, *, extra_fields=(), select=(), lookups=("team", "category", "service")) -> QuerySet:
    """Tickets ``user`` may see, loaded for a list: constant queries (1 + one per lookup) per page."""
    return (
        tickets_visible_to(user)
        .select_related("requester", "assignee", *select)
        .prefetch_related(*(Prefetch(name, queryset=ROW_LOOKUPS[name]()) for name in lookups))
        .only(*ROW_FIELDS, *extra_fields)
    )


def ticket_timeline(ticket: Ticket, *, public_only: bool) -> QuerySet:
    events = TimelineEntry.objects.filter(ticket=ticket).select_related("actor", "comment", "comment__author")
    if public_only:
        events = events.filter(public=True)
    return events.order_by("at", "id")


def ticket_comments(ticket: Ticket, *, public_only: bool) -> QuerySet:
    qs = Comment.objects.filter(ticket=ticket).select_related("author")
    return qs.filter(public=True) if public_only else qs


def is_staff_view(user) -> bool:
    return can_work_tickets(user)
