"""What the knowledge app adds to other processes' console pages: the "Knowledge" card.

Registered as the ``knowledge_articles`` desk panel (servicedesk.registry): the articles attached to
the ticket (with "resolved by this article"), a form to attach one, "Create article" pre-filled from
the incident, and what the requester searched and read on the portal before reporting.
"""

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from servicedesk.choices import TicketKind

from .forms import AttachArticleForm
from .models import DeflectionSession, TicketArticle


def knowledge_desk_panel(ticket, request) -> str:
    links = list(TicketArticle.objects.filter(ticket=ticket).select_related("article").order_by("linked_at", "id"))
    sessions = list(DeflectionSession.objects.filter(ticket=ticket)
                    .annotate(read_titles=ArrayAgg("reads__title", filter=Q(reads__isnull=False), default=[]))
                    .order_by("started_at")[:5])
    return mark_safe(render_to_string("knowledge/desk/_ticket_panel.html", {  # noqa: S308 - a rendered template
        "ticket": ticket, "links": links, "sessions": sessions, "form": AttachArticleForm(),
        "can_write_from": ticket.kind == TicketKind.INCIDENT,
    }, request=request))
