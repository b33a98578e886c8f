"""The reads of one ticket's console page and API detail, shared by every process.

A ticket page used to load the ticket with eleven relations joined (PostgreSQL spent more time
planning that query than running it) and then ran a query per panel, picker and list. The pattern
now, for incidents and every process after them:

1. :func:`ticket_row` — the ticket row alone, plus the process's own one-to-one row (``select``);
2. :func:`read_around` — everything around it in ONE query (``esm.batch.read_together``): the
   people (requester, assignee, team lead, watchers, the team's members), teams, category, service,
   parent, children, linked CIs, the latest timeline entries with their attachments, time worked,
   plus whatever reads the process adds (``extra``). Related objects are set on the ticket as
   model instances holding only the columns read, so templates and services use them as usual; a
   column not read is loaded on access (a query the tests would count), never wrong.

Panels from higher layers (SLA clocks, affected services) answer in a fixed number of queries on
their own; see ``servicedesk.registry``.
"""

from dataclasses import dataclass, field

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import BigIntegerField, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from accounts.models import Organisation, Team, User, display_name
from accounts.roles import VIEW_ALL_TICKETS
from cmdb.models import CIClass, ConfigurationItem
from esm.batch import read_prepared

from .choices import EventKind
from .models import Attachment, Category, Comment, Ticket, TicketCI, TimeEntry, TimelineEntry
from .queries import IdInArray, tickets_visible_to

TIMELINE_PAGE_SIZE = 20
MAX_CHILDREN = 50

PERSON = ("id", "username", "first_name", "last_name", "email", "phone", "organisation_id", "is_active")
TICKET_BRIEF = ("id", "kind", "number", "title", "state")


def build(model, names, values):
    """A model instance from ``values`` of the fields ``names``; the other fields load on access."""
    row = dict(zip(names, values, strict=True))
    return model.from_db("default", list(names), [row[f.attname] for f in model._meta.concrete_fields
                                                  if f.attname in row])


TICKET_COLUMNS = tuple(f.attname for f in Ticket._meta.concrete_fields if f.attname != "search_document")


def ticket_row(user, *, kind: str, number: str, select=()) -> Ticket | None:
    """The ticket ``user`` may see, without joined relations but the process's own one-to-one rows
    (``select``), as one prepared statement (``esm.batch.read_prepared``)."""
    number = number.strip().upper()
    if not number or len(number) > Ticket._meta.get_field("number").max_length:
        return None
    related = [(name, Ticket._meta.get_field(name).related_model) for name in select]
    columns = [*TICKET_COLUMNS, *(f"{name}__{f.attname}" for name, model in related
                                  for f in model._meta.concrete_fields)]

    def build_reads(ids: dict) -> dict[str, QuerySet]:
        return {"ticket": tickets_visible_to(user).filter(kind=kind, number=ids["number"])
                .order_by().values_list(*columns)[:1]}

    rows = read_prepared(("ticket-row", visibility_shape(user), kind, tuple(select)), build_reads,
                         {"number": number})["ticket"]
    if not rows:
        return None
    values = list(rows[0])
    ticket = Ticket.from_db("default", list(TICKET_COLUMNS), values[:len(TICKET_COLUMNS)])
    offset = len(TICKET_COLUMNS)
    for name, model in related:
        names = [f.attname for f in model._meta.concrete_fields]
        part = values[offset:offset + len(names)]
        offset += len(names)
        if part[0] is None:  # no row of this kind
            continue
        row = model.from_db("default", names, part)
        remote = Ticket._meta.get_field(name).field.name  # e.g. Incident.ticket
        row._state.fields_cache[remote] = ticket
        ticket._state.fields_cache[name] = row
    return ticket


@dataclass
class TimelinePage:
    """The newest entries first; ``older`` is the cursor (an entry id) of the next older page, if any."""

    entries: list[TimelineEntry] = field(default_factory=list)
    attachments: dict[int, Attachment] = field(default_factory=dict)
    older: int | None = None


@dataclass
class Around:
    """What :func:`read_around` found; the ticket's own relations are set on the ticket itself."""

    watchers: list[User] = field(default_factory=list)
    children: list[Ticket] = field(default_factory=list)
    more_children: bool = False
    ci_links: list[TicketCI] = field(default_factory=list)
    team_members: list[User] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    time_by_agent: list[dict] = field(default_factory=list)
    timeline: TimelinePage | None = None
    extra: dict[str, list[tuple]] = field(default_factory=dict)
    # The raw rows everything above was built from (a cached page body is kept under them).
    rows: dict[str, list[tuple]] = field(default_factory=dict, repr=False)


def timeline_page_reads(ticket: Ticket, *, public_only: bool = False, before: int | None = None,
                        size: int = TIMELINE_PAGE_SIZE) -> dict[str, QuerySet]:
    """The ``size`` newest entries (older than entry ``before``) and the attachments they show."""
    entries = TimelineEntry.objects.filter(ticket=ticket)
    if public_only:
        entries = entries.filter(public=True)
    if before is not None:  # the cursor is the last entry shown: continue after it in ("at", "id") order
        at = TimelineEntry.objects.filter(pk=before, ticket=ticket).values("at")
        entries = entries.filter(Q(at__lt=Subquery(at)) | Q(at=Subquery(at), id__lt=before))
    page = entries.order_by("-at", "-id")[: size + 1]
    comment_ids = page.values("comment_id")
    attachment_ids = TimelineEntry.objects.filter(id__in=page.values("id"), kind=EventKind.ATTACHMENT).annotate(
        attachment=Cast(KT("data__attachment_id"), BigIntegerField())).values("attachment")
    return {
        "timeline": page.values_list(
            "id", "at", "kind", "public", "data", "comment_id", "comment__body", "comment__author_id",
            "comment__public", "actor_id", "actor__username", "actor__first_name", "actor__last_name"),
        "timeline_attachments": Attachment.objects.filter(ticket=ticket).filter(
            Q(comment_id__in=comment_ids) | Q(pk__in=attachment_ids)).order_by("created_at", "id").values_list(
            "id", "name", "size", "comment_id", "public"),
    }


def timeline_page_from(rows: dict[str, list[tuple]], ticket: Ticket, *, size: int = TIMELINE_PAGE_SIZE) -> TimelinePage:
    found = rows["timeline"]
    page = TimelinePage(older=found[size - 1][0] if len(found) > size else None)
    for (pk, at, kind, public, data, comment_id, body, author_id, comment_public, actor_id, username, first,
         last) in found[:size]:
        entry = TimelineEntry(id=pk, ticket_id=ticket.pk, at=at, kind=kind, public=public, data=data,
                              comment_id=comment_id, actor_id=actor_id)
        entry.ticket = ticket
        entry.actor = (build(User, ("id", "username", "first_name", "last_name"), (actor_id, username, first, last))
                       if actor_id else None)
        entry.comment = (Comment(id=comment_id, ticket_id=ticket.pk, body=body, author_id=author_id,
                                 public=comment_public) if comment_id else None)
        page.entries.append(entry)
    for pk, name, size_bytes, comment_id, public in rows["timeline_attachments"]:
        page.attachments[pk] = build(Attachment, ("id", "ticket_id", "name", "size", "comment_id", "public"),
                                     (pk, ticket.pk, name, size_bytes, comment_id, public))
    return page


def visibility_shape(user) -> tuple:
    """What ``tickets_visible_to(user)`` bakes into SQL besides ids: part of a prepared read's shape."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ("none",)
    if user.has_perm(VIEW_ALL_TICKETS):
        return ("all",)
    return ("own", user.pk, user.organisation_id if user.organisation_id and user.organisation.share_tickets else None)


def read_around(ticket: Ticket, user, **options) -> Around:
    """Everything a ticket page or detail endpoint shows around ``ticket``, in one query.

    ``tickets``: ids of more tickets to read briefly (e.g. an incident's "merged into"), found in
    ``Around.tickets``. ``pickers``: every active team and the ticket team's active members (the
    assignment controls). ``children_limit``: how many child tickets (None: all). ``extra``: a
    function of the ids (``ids["ticket"]``…) giving the process's own ``values_list()`` reads, in
    ``Around.extra``; name it in ``extra_shape``. The statement is compiled once per shape
    (``esm.batch.read_prepared``): the ids reach the reads only through ``ids``.
    """
    return around_built(ticket, around_rows(ticket, user, **options), **options)


def around_rows(ticket: Ticket, user, *, tickets=(), pickers: bool = False, timeline: bool = False,
                timeline_public_only: bool = False, ci_links: bool = True, time_worked: bool = False,
                children_limit: int | None = MAX_CHILDREN, extra=None, extra_shape: str = "") -> dict:
    """The raw rows of :func:`read_around` (a page whose body is cached needs only these)."""
    values = {"ticket": ticket.pk, "requester": ticket.requester_id, "assignee": ticket.assignee_id,
              "team": ticket.team_id, "category": ticket.category_id, "service": ticket.service_id,
              "parent": ticket.parent_id, **{f"brief{i}": pk for i, pk in enumerate(tickets)}}
    shape = ("around", visibility_shape(user), len(tickets), pickers, timeline, timeline_public_only, ci_links,
             time_worked, children_limit, extra_shape)

    def build(ids: dict[str, int]) -> dict[str, QuerySet]:
        return around_reads(ids, user, brief_count=len(tickets), pickers=pickers, timeline=timeline,
                            timeline_public_only=timeline_public_only, ci_links=ci_links, time_worked=time_worked,
                            children_limit=children_limit, extra=extra)

    return read_prepared(shape, build, values)


def around_built(ticket: Ticket, rows: dict, *, timeline: bool = False, children_limit: int | None = MAX_CHILDREN,
                 **_options) -> Around:
    """:class:`Around` from the rows of :func:`around_rows` (same options)."""
    around = around_from(ticket, rows, timeline=timeline, extra=list(rows.keys() - AROUND_READS),
                         children_limit=children_limit)
    around.rows = rows
    return around


AROUND_READS = {"people", "organisations", "watchers", "members", "teams", "categories", "services", "tickets",
                "children", "ci_links", "time", "timeline", "timeline_attachments"}


def around_reads(ids: dict[str, int], user, *, brief_count: int, pickers: bool, timeline: bool,
                 timeline_public_only: bool, ci_links: bool, time_worked: bool, children_limit: int | None,
                 extra) -> dict[str, QuerySet]:
    """The reads of :func:`read_around`, with every id taken from ``ids``."""
    ticket = Ticket(id=ids["ticket"])
    children = tickets_visible_to(user, Ticket.objects.filter(parent_id=ids["ticket"])).order_by("id").values_list(
        *TICKET_BRIEF)
    watcher_ids = Ticket.watchers.through.objects.filter(ticket_id=ids["ticket"]).values("user_id")
    lead_ids = Team.objects.filter(pk=ids["team"]).values("lead_id")
    # All members (inactive ones are left out of the picker in around_from): a join on the user
    # table here made PostgreSQL scan every user.
    members = (Team.members.through.objects.filter(team_id=ids["team"])
               if pickers else Team.members.through.objects.none())
    # Each group of people as ``id = ANY(ARRAY(…))``: an index lookup each. ``id IN (sub-select)``
    # under an OR is a filter PostgreSQL tests on every user row.
    people = Q(pk__in=[ids["requester"], ids["assignee"]])
    for group in (watcher_ids, lead_ids.filter(lead_id__isnull=False), members.values("user_id")):
        people |= Q(IdInArray("pk", ArraySubquery(group)))
    teams = Team.objects.filter(Q(active=True) | Q(pk=ids["team"])) if pickers else Team.objects.filter(pk=ids["team"])
    brief_ids = [ids["parent"], *(ids[f"brief{i}"] for i in range(brief_count))]
    return {
        "people": User.objects.filter(people).values_list(*PERSON),
        "organisations": Organisation.objects.filter(
            pk__in=User.objects.filter(pk=ids["requester"]).values("organisation_id")).values_list("id", "name"),
        "watchers": watcher_ids.values_list("user_id"),
        "members": members.values_list("user_id"),
        "teams": teams.order_by("name").values_list("id", "name", "lead_id", "active"),
        "categories": Category.objects.filter(
            Q(pk=ids["category"]) | Q(pk__in=Category.objects.filter(pk=ids["category"]).values("parent_id"))
        ).values_list("id", "name", "parent_id"),
        "services": ConfigurationItem.objects.filter(pk=ids["service"]).values_list("id", "name"),
        "tickets": Ticket.objects.filter(pk__in=brief_ids).values_list(*TICKET_BRIEF),
        "children": children[: children_limit + 1] if children_limit is not None else children,
        "ci_links": TicketCI.objects.filter(ticket_id=ids["ticket"]).order_by("ci__name", "ci_id").values_list(
            "id", "ci_id", "ci__name", "ci__ci_class_id", "ci__ci_class__name")
        if ci_links else TicketCI.objects.none(),
        "time": TimeEntry.objects.filter(ticket_id=ids["ticket"]).values("agent_id").annotate(total=Sum("minutes"))
        .order_by("-total", "agent_id").values_list("agent_id", "agent__username", "agent__first_name",
                                                    "agent__last_name", "total")
        if time_worked else TimeEntry.objects.none(),
        **(timeline_page_reads(ticket, public_only=timeline_public_only) if timeline else {}),
        **(extra(ids) if extra else {}),
    }


def around_from(ticket: Ticket, rows: dict[str, list[tuple]], *, timeline: bool, extra: list[str],
                children_limit: int | None = MAX_CHILDREN) -> Around:
    organisations = {pk: build(Organisation, ("id", "name"), (pk, name)) for pk, name in rows["organisations"]}
    people = {}
    for values in rows["people"]:
        person = build(User, PERSON, values)
        if person.organisation_id in organisations:
            person.organisation = organisations[person.organisation_id]
        people[person.pk] = person
    teams = [build(Team, ("id", "name", "lead_id", "active"), values) for values in rows["teams"]]
    for team in teams:
        team.lead = people.get(team.lead_id)
    categories = {pk: build(Category, ("id", "name", "parent_id"), (pk, name, parent))
                  for pk, name, parent in rows["categories"]}
    for category in categories.values():
        category.parent = categories.get(category.parent_id)
    briefs = {values[0]: build(Ticket, TICKET_BRIEF, values) for values in rows["tickets"]}

    # The ticket's own relations, as if select_related had joined them.
    ticket.requester = people.get(ticket.requester_id)
    ticket.assignee = people.get(ticket.assignee_id)
    ticket.team = next((t for t in teams if t.pk == ticket.team_id), None)
    ticket.category = categories.get(ticket.category_id)
    ticket.service = (build(ConfigurationItem, ("id", "name"), rows["services"][0]) if rows["services"] else None)
    ticket.parent = briefs.get(ticket.parent_id)

    def by_name(user):
        return (user.first_name, user.last_name, user.username)

    children = [build(Ticket, TICKET_BRIEF, values) for values in rows["children"]]
    links = []
    for pk, ci_id, name, class_id, class_name in rows["ci_links"]:
        link = TicketCI(id=pk, ticket_id=ticket.pk, ci_id=ci_id)
        link.ci = build(ConfigurationItem, ("id", "name", "ci_class_id"), (ci_id, name, class_id))
        link.ci.ci_class = build(CIClass, ("id", "name"), (class_id, class_name))
        links.append(link)
    return Around(
        watchers=sorted((people[pk] for (pk,) in rows["watchers"] if pk in people), key=by_name),
        children=children[:children_limit], more_children=children_limit is not None and len(children) > children_limit,
        ci_links=links,
        team_members=sorted((people[pk] for (pk,) in rows["members"] if pk in people and people[pk].is_active),
                            key=by_name),
        teams=[t for t in teams if t.active or t.pk == ticket.team_id],
        tickets=briefs,
        time_by_agent=[{"agent_id": pk, "name": display_name(first, last, username), "minutes": total}
                       for pk, username, first, last, total in rows["time"]],
        timeline=timeline_page_from(rows, ticket) if timeline else None,
        extra={name: rows[name] for name in extra},
    )
