"""The "Configuration items" card every process's console page shows: linked CIs, the business
services they put at risk, and search / link / unlink (htmx, or plain forms without JavaScript).

A process mounts three views of its own (``ci_search``, ``ci_link``, ``ci_unlink`` in its
``desk_urls``) that find the ticket with the viewer's visibility and call these with its URL
namespace and the service functions that link and unlink.
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cmdb.impact import affected_services_cached
from cmdb.models import ConfigurationItem
from esm.errors import DomainError

from ..detail import read_around
from ..models import Ticket
from .desk import LOOKUP_LIMIT, is_partial


class CIForm(forms.Form):
    ci = forms.ModelChoiceField(queryset=ConfigurationItem.objects.all(), widget=forms.HiddenInput)


def cis_matching(text: str, ticket: Ticket):
    """Operational CIs whose name contains ``text``, not yet linked to ``ticket``; at most LOOKUP_LIMIT."""
    text = (text or "").strip()[:100]
    if not text or "\x00" in text:
        return ConfigurationItem.objects.none()
    return (ConfigurationItem.objects.operational().filter(name__icontains=text)
            .exclude(ticket_links__ticket=ticket).select_related("ci_class").order_by("name")[:LOOKUP_LIMIT])


def ci_urls(namespace: str, ticket: Ticket) -> dict:
    return {name: reverse(f"{namespace}:{view}", args=[ticket.number])
            for name, view in (("detail", "detail"), ("search", "ci_search"), ("link", "ci_link"),
                               ("unlink", "ci_unlink"))}


def ci_panel_context(namespace: str, ticket: Ticket, ci_q: str = "", ci_links=None, affected=None) -> dict:
    """The card's context; ``ci_links`` and ``affected`` when the page has read them already."""
    if ci_links is None:  # a partial answer: read the links alone
        ci_links = read_around(ticket, None, ci_links=True).ci_links
    if affected is None:
        ids = [link.ci_id for link in ci_links] + ([ticket.service_id] if ticket.service_id else [])
        affected = affected_services_cached(ids)
    return {
        "ticket": ticket, "ci_links": ci_links, "affected_services": affected, "ci_q": ci_q,
        "ci_results": list(cis_matching(ci_q, ticket)) if ci_q else None,
        "can_edit": ticket.active, "limit": LOOKUP_LIMIT, "ci_urls": ci_urls(namespace, ticket),
    }


def ci_search(request, namespace: str, ticket: Ticket) -> HttpResponse:
    ci_q = request.GET.get("ci_q", "")
    return render(request, "desk/_ci_results.html", {
        "ticket": ticket, "ci_q": ci_q, "ci_results": list(cis_matching(ci_q, ticket)) if ci_q.strip() else None,
        "limit": LOOKUP_LIMIT, "ci_urls": ci_urls(namespace, ticket),
    })


def ci_action(request, namespace: str, ticket: Ticket, call: Callable, success: str) -> HttpResponse:
    """Link or unlink the posted CI with ``call(ticket, ci)`` (a service); the card again (htmx) or
    back to the page with a message."""
    form = CIForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("Choose a configuration item from the list.")
    else:
        try:
            with transaction.atomic():
                call(ticket, form.cleaned_data["ci"])
        except DomainError as exc:
            error = exc.detail
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if is_partial(request, "ci-panel"):
        response = render(request, "desk/_ci_panel.html", {**ci_panel_context(namespace, ticket), "error": error})
        if error is None:
            response["HX-Trigger"] = "timeline-changed"
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success)
    return redirect(reverse(f"{namespace}:detail", args=[ticket.number]) + "#cis")
