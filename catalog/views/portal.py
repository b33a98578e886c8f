"""The portal's catalog: browse categories, search (English and Korean), read an item and order it.

Plain words for people who are not IT specialists. Only items the person may order are ever shown:
anything else is a 404 (docs/architecture.md, rule 7). The order itself is one call to
``catalog.fulfilment.request_submit``, which re-checks the answers and creates the request.
"""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from esm.api_bases import parse_id
from esm.errors import DomainError
from esm.pagination import InvalidCursor, keyset_paginate, query_without
from servicedesk import registry
from servicedesk.rendering import render_markdown

from .. import localize, queries, request_queries
from ..forms.portal import PREFIX, OrderForm
from ..fulfilment import OrderLine, request_submit, reusable_answers
from ..models import CatalogCategory

PAGE_SIZE = 24
MAX_QUERY = 200
PICTURE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}  # never SVG: it could run script


def _page(request, items):
    try:
        return keyset_paginate(items, orderings=queries.ITEM_ORDERINGS, ordering=None,
                               default_ordering=queries.DEFAULT_ITEM_ORDERING, cursor=request.GET.get("cursor"),
                               page_size=PAGE_SIZE)
    except InvalidCursor:
        raise Http404 from None


@login_required
@require_safe
def catalog_home(request):
    """Categories, and the items matching a search."""
    text = request.GET.get("q", "").strip()[:MAX_QUERY]
    context = {"nav": "catalog", "q": text, "categories": queries.categories_for(request.user)}
    if text:
        context["page"] = _page(request, queries.item_list(request.user, text=text))
        context["query_rest"] = query_without(request.GET, "cursor")
    return render(request, "portal/catalog/home.html", context)


@login_required
@require_safe
def catalog_category(request, pk):
    category = CatalogCategory.objects.filter(pk=parse_id(pk) or 0, active=True).first()
    if category is None:
        raise Http404
    page = _page(request, queries.item_list(request.user, category=category))
    if not page.items and not request.GET.get("cursor"):
        raise Http404  # nothing this person may order here
    return render(request, "portal/catalog/category.html", {
        "nav": "catalog", "category": category, "page": page, "query_rest": query_without(request.GET, "cursor")})


def _item_or_404(request, pk):
    item = queries.orderable_item(request.user, parse_id(pk) or 0)
    if item is None:
        raise Http404
    return item


@login_required
@require_http_methods(["GET", "POST"])
def catalog_item(request, pk):
    """The item page with its order form; a valid order goes to the new request's page."""
    item = _item_or_404(request, pk)
    posted = request.method == "POST"
    initial = {} if posted else _copied(request.user, item, request.GET.get("again", ""), request.GET.get("line", ""))
    form = OrderForm(item.current_form, request.POST if posted else None, request.FILES if posted else None,
                     item=item, user=request.user, initial=initial)
    if posted and form.is_valid():
        ticket = _order(request, form, item)
        if ticket is not None:
            messages.success(request, _("Thank you! Your request %(number)s has been sent. You can follow it "
                                        "here.") % {"number": ticket.number})
            return redirect(registry.ticket_url("request", ticket.number, "portal") or "portal:home")
    return render(request, "portal/catalog/item.html", {
        "nav": "catalog", "item": item, "form": form,
        "description_html": render_markdown(localize.text(item, "description")),
    }, status=400 if form.is_bound else 200)


def _copied(user, item, number: str, line: str) -> dict:
    """The item page filled in from a line of the person's rejected request (change, then order again)."""
    old = request_queries.rejected_line(user, number=number, line=line, item=item)
    if old is None:
        return {}
    initial = {PREFIX + key: value for key, value in reusable_answers(old).items() if value is not None}
    initial["quantity"] = old.quantity
    if old.request.requested_for_id != user.pk:
        initial["requested_for"] = old.request.requested_for_id
    return initial


def _order(request, form: OrderForm, item):
    raw, files = form.raw_answers()
    line = OrderLine(item=item, quantity=form.cleaned_data["quantity"], answers=raw, files=files)
    try:
        return request_submit(actor=request.user, lines=[line], requested_for=form.requested_for_user())
    except ValidationError as exc:
        _order_errors(form, exc)
    except DomainError as exc:
        form.add_error(None, exc.detail)
    return None


def _order_errors(form: OrderForm, exc: ValidationError) -> None:
    """The order's errors on the fields they name. ``request_submit`` gives them structured in
    ``exc.errors``: ``{"items": [{key: [messages]} per line], "requested_for": [...]}``."""
    structured = getattr(exc, "errors", None)
    if not isinstance(structured, dict):
        for message in exc.messages:
            form.add_error(None, message)
        return
    places = [(key, messages_) for line in structured.get("items") or [] for key, messages_ in line.items()]
    places += [(key, messages_) for key, messages_ in structured.items() if key != "items"]
    for key, messages_ in places:
        target = key if key in ("quantity", "requested_for") else PREFIX + key
        for message in messages_:
            form.add_error(target if target in form.fields else None, message)


@login_required
@require_safe
def catalog_picture(request, pk):
    """An item's picture, to people who may order it; only raster images are served inline."""
    item = _item_or_404(request, pk)
    if not item.picture:
        raise Http404
    content_type = mimetypes.guess_type(item.picture.name)[0] or ""
    if content_type not in PICTURE_TYPES:
        raise Http404
    response = FileResponse(item.picture.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
