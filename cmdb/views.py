"""Console pages of the CMDB (``/desk/cmdb/``): the CI list, the CI page with its impact map, forms, stale CIs.

Desk roles read; configuration managers and administrators edit (``cmdb.permissions``). Each
write view parses a form and calls ONE service; service errors come back on the form, with the
input kept. The CMDB sits below the service desk, so it has its own small access decorators.
"""

import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Team
from esm.access import console_guard
from esm.errors import DomainError, StaleVersion
from esm.pagination import InvalidCursor, keyset_paginate, query_without

from . import services
from .attributes import ClassCatalogue
from .choices import CRITICALITY_BADGE, STATUS_BADGE, Environment, LifecycleStatus
from .filters import CIFilterSet
from .forms import CIForm, RelateForm
from .history import ci_history_entries
from .impact import DEFAULT_DEPTH, DOWNSTREAM, MAX_DEPTH, UPSTREAM, impact_analysis
from .models import ConfigurationItem, RedundancyGroup, Relationship
from .permissions import can_edit_cmdb, can_read_cmdb
from .queries import (
    CI_ORDERINGS,
    DEFAULT_CI_ORDERING,
    STALE_ORDERINGS,
    ci_detail_queryset,
    ci_list_queryset,
    relationships_of,
    stale_cis,
)
from .tickets import open_tickets

PAGE_SIZE = 50
LOOKUP_LIMIT = 20
GRAPH_LIMIT = 300
TABLE_LIMIT = 500
HISTORY_SHOWN = 30


reader_required = console_guard(can_read_cmdb)  # every desk role
editor_required = console_guard(can_edit_cmdb, staff=can_read_cmdb)  # configuration managers and administrators


def _ci(pk: int) -> ConfigurationItem:
    if pk > 2**63 - 1:
        raise Http404
    return get_object_or_404(ci_detail_queryset(), pk=pk)


def _detail_url(ci: ConfigurationItem, anchor: str = "") -> str:
    return reverse("desk-cmdb:detail", args=[ci.pk]) + (f"#{anchor}" if anchor else "")


# --- List -----------------------------------------------------------------------------------


@reader_required
@require_GET
def ci_list(request):
    params = request.GET
    catalogue = ClassCatalogue()
    filterset = CIFilterSet(params, queryset=ci_list_queryset(), catalogue=catalogue)
    cursor_error = None
    paginate = functools.partial(keyset_paginate, filterset.qs, orderings=CI_ORDERINGS, ordering=params.get("ordering"),
                                 default_ordering=DEFAULT_CI_ORDERING, page_size=PAGE_SIZE)
    try:
        page = paginate(cursor=params.get("cursor") or None)
    except InvalidCursor as exc:
        cursor_error = exc.messages[0]
        page = paginate(cursor=None)
    return render(request, "cmdb/list.html", {
        "page": page,
        "filterset": filterset,
        "filter_errors": filterset.errors,
        "cursor_error": cursor_error,
        "classes": sorted(catalogue.classes.values(), key=lambda c: c.name),
        "statuses": LifecycleStatus.choices,
        "environments": Environment.choices,
        "teams": Team.objects.filter(active=True).only("id", "name"),
        "params": params,
        "selected": {name: set(params.getlist(name)) for name in ("status", "environment")},
        "page_query": query_without(params, "cursor"),
        "status_badge": STATUS_BADGE,
        "criticality_badge": CRITICALITY_BADGE,
        "can_edit": can_edit_cmdb(request.user),
        "filtered": any(params.get(n) for n in ("q", "ci_class", "status", "environment", "team_id", "attribute",
                                                "stale")),
    })


@reader_required
@require_GET
def stale_list(request):
    params = request.GET
    try:
        page = keyset_paginate(stale_cis(), orderings=STALE_ORDERINGS, ordering="stale_since",
                               default_ordering="stale_since", cursor=params.get("cursor") or None,
                               page_size=PAGE_SIZE)
    except InvalidCursor:
        page = keyset_paginate(stale_cis(), orderings=STALE_ORDERINGS, ordering="stale_since",
                               default_ordering="stale_since", cursor=None, page_size=PAGE_SIZE)
    return render(request, "cmdb/stale.html", {"page": page, "can_edit": can_edit_cmdb(request.user),
                                               "status_badge": STATUS_BADGE})


# --- The CI page ----------------------------------------------------------------------------


def _impact_params(request) -> tuple[str, int]:
    direction = request.GET.get("direction") if request.GET.get("direction") in (UPSTREAM, DOWNSTREAM) else UPSTREAM
    raw = request.GET.get("depth", "")
    depth = int(raw) if raw.isdigit() and len(raw) < 4 else DEFAULT_DEPTH
    return direction, max(1, min(depth, MAX_DEPTH))


def _graph(result) -> dict:
    """Nodes and parent edges for cytoscape.js (at most GRAPH_LIMIT nodes, the nearest first)."""
    shown = result.nodes[:GRAPH_LIMIT]
    ids = {n.id for n in shown}
    nodes = [{"data": {"id": str(n.id), "label": n.name, "cls": n.class_name, "depth": n.depth,
                       "service": n.is_service, "root": n.depth == 0, "open": n.open_total,
                       "url": reverse("desk-cmdb:detail", args=[n.id])}} for n in shown]
    edges = [{"data": {"id": f"e{n.id}", "source": str(n.parent_id), "target": str(n.id)}}
             for n in shown if n.parent_id in ids]
    return {"elements": nodes + edges, "direction": result.direction}


def _add_via(result) -> None:
    """What each node was reached through: "runs on db-01" (upstream) or "hosts web-01" (downstream).

    The walk gives each node one parent; the relationship between the two is read in one query.
    """
    by_id = {n.id: n for n in result.nodes}
    pairs = {(n.id, n.parent_id) for n in result.nodes if n.parent_id in by_id}
    if not pairs:
        return
    ids = {i for pair in pairs for i in pair}
    types = {}
    for source, target, name, reverse_name in (Relationship.objects.filter(source_id__in=ids, target_id__in=ids)
                                               .values_list("source_id", "target_id", "type__name",
                                                            "type__reverse_name").order_by("id")):
        types.setdefault((source, target), name)
        types.setdefault(("reverse", target, source), reverse_name)
    for node_id, parent_id in pairs:
        if result.direction == UPSTREAM:  # the node depends on its parent: "web-01 runs on db-01"
            phrase = types.get((node_id, parent_id), "")
        else:  # the parent depends on the node: "db-01 hosts web-01"
            phrase = types.get(("reverse", node_id, parent_id), "")
        by_id[node_id].via = f"{phrase} {by_id[parent_id].name}".strip()


@reader_required
@require_GET
def ci_detail(request, pk: int):
    ci = _ci(pk)
    direction, depth = _impact_params(request)
    result = impact_analysis(ci, direction=direction, depth=depth, limit=TABLE_LIMIT)
    _add_via(result)
    outgoing, incoming = relationships_of(ci)
    catalogue = ClassCatalogue()
    definitions = catalogue.attributes_for(ci.ci_class_id)
    attributes = [(d, ci.attributes.get(d.key)) for d in definitions]
    extra = [(k, v) for k, v in ci.attributes.items() if k not in {d.key for d in definitions}]
    return render(request, "cmdb/detail.html", {
        "ci": ci,
        "lineage": catalogue.lineage(ci.ci_class_id),
        "attributes": attributes,
        "extra_attributes": extra,
        "outgoing": outgoing,
        "incoming": incoming,
        "tickets": open_tickets(ci.pk),
        "impact": result,
        "graph": _graph(result),
        "direction": direction,
        "depth": depth,
        "max_depth": MAX_DEPTH,
        "graph_limit": GRAPH_LIMIT,
        "history": ci_history_entries(ci, HISTORY_SHOWN),
        "status_badge": STATUS_BADGE,
        "criticality_badge": CRITICALITY_BADGE,
        "can_edit": can_edit_cmdb(request.user),
        "relate_form": RelateForm(prefix="rel"),
        "groups": list(RedundancyGroup.objects.filter(ci=ci).order_by("name")),
    })


# --- Create and edit ------------------------------------------------------------------------


@editor_required
@require_http_methods(["GET", "POST"])
def ci_create(request):
    catalogue = ClassCatalogue()
    initial_class = catalogue.classes.get(int(c)) if (c := request.GET.get("ci_class", "")).isdigit() and len(c) < 18 \
        else None
    form = CIForm(request.POST or None, catalogue=catalogue,
                  initial={"ci_class": initial_class.pk} if initial_class else None)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.service_kwargs()
            ci = services.ci_create(actor=request.user, **data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("%(name)s created.") % {"name": ci.name})
            return redirect(_detail_url(ci))
    return render(request, "cmdb/form.html", {"form": form, "ci": None},
                  status=400 if form.is_bound else 200)


@editor_required
@require_http_methods(["GET", "POST"])
def ci_edit(request, pk: int):
    ci = _ci(pk)
    catalogue = ClassCatalogue()
    form = CIForm(request.POST or None, ci=ci, catalogue=catalogue)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changes = form.changes()
            if not changes:
                messages.info(request, _("Nothing changed."))
                return redirect(_detail_url(ci))
            try:
                services.ci_update(ci=ci, actor=request.user, expected_version=form.cleaned_data["version"],
                                   **changes)
            except StaleVersion as exc:
                data = request.POST.copy()
                data["version"] = str(exc.current_version)
                form = CIForm(data, ci=_ci(pk), catalogue=catalogue)
                form.is_valid()
                form.add_error(None, _("This configuration item was changed by someone else since you opened it. "
                                       "Nothing was saved: check the current values and save again to apply yours."))
                status = 409
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(_detail_url(ci))
    return render(request, "cmdb/form.html", {"form": form, "ci": ci}, status=status)


@editor_required
@require_GET
def attribute_fields(request):
    """The attribute fields of the class chosen in the form (htmx swaps them in when the class changes)."""
    form = CIForm(initial={"ci_class": request.GET.get("ci_class", "")[:18]}, catalogue=ClassCatalogue())
    return render(request, "cmdb/_attribute_fields.html", {"form": form})


# --- Relationships --------------------------------------------------------------------------


@editor_required
@require_POST
def ci_relate(request, pk: int):
    ci = _ci(pk)
    form = RelateForm(request.POST, prefix="rel")
    if form.is_valid():
        data = form.cleaned_data
        source, target = (ci, data["other"]) if data["direction"] == "out" else (data["other"], ci)
        try:
            services.relationship_create(actor=request.user, source=source, target=target, type=data["type"],
                                         description=data["description"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Related."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(_detail_url(ci, "relationships"))


@editor_required
@require_POST
def relationship_delete(request, pk: int, rel_pk: int):
    ci = _ci(pk)
    if rel_pk > 2**63 - 1:
        raise Http404
    relationship = get_object_or_404(Relationship.objects.filter(Q(source=ci) | Q(target=ci)), pk=rel_pk)
    services.relationship_delete(relationship=relationship, actor=request.user)
    messages.success(request, _("Relationship removed."))
    return redirect(_detail_url(ci, "relationships"))


@editor_required
@require_POST
def clear_stale(request, pk: int):
    ci = _ci(pk)
    services.ci_clear_stale(ci=ci, actor=request.user)
    messages.success(request, _("%(name)s marked as reviewed.") % {"name": ci.name})
    return redirect(reverse("desk-cmdb:stale") if request.POST.get("next") == "stale" else _detail_url(ci))


def cis_matching(text: str, *, exclude: int | None = None):
    """CIs whose name contains ``text`` (trigram index), at most LOOKUP_LIMIT: the console's CI picker."""
    text = (text or "").strip()[:100]
    if not text or "\x00" in text:
        return ConfigurationItem.objects.none()
    qs = ConfigurationItem.objects.filter(name__icontains=text).select_related("ci_class")
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("name", "id")[:LOOKUP_LIMIT]


@reader_required
@require_GET
def ci_lookup(request):
    """Radio buttons (relate form) or checkboxes (``name=cis``: the incident form) for the CIs matching ``q``."""
    name = request.GET.get("name", "rel-other")
    if name not in ("rel-other", "cis"):
        name = "rel-other"
    exclude = request.GET.get("exclude", "")
    text = request.GET.get("q") or request.GET.get("ci_q", "")
    results = list(cis_matching(text, exclude=int(exclude) if exclude.isdigit()
                                and len(exclude) < 18 else None))
    return render(request, "cmdb/_ci_options.html", {"results": results, "name": name, "q": text,
                                                     "multiple": name == "cis", "limit": LOOKUP_LIMIT})


# --- Redundancy groups ----------------------------------------------------------------------


@editor_required
@require_POST
def redundancy_create(request, pk: int):
    """Group some of the CI's relationships: the CI stays up while ``min_up`` of their targets do."""
    ci = _ci(pk)
    chosen = [int(v) for v in request.POST.getlist("relationships") if v.isdigit() and len(v) < 18]
    raw_min = request.POST.get("min_up", "")
    try:
        services.redundancy_group_create(
            actor=request.user, ci=ci, name=request.POST.get("name", ""),
            min_up=int(raw_min) if raw_min.isdigit() and len(raw_min) < 6 else -1,
            description=request.POST.get("description", "")[:500],
            relationships=Relationship.objects.filter(source=ci, pk__in=chosen))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Redundancy group created."))
    return redirect(_detail_url(ci, "relationships"))


@editor_required
@require_POST
def redundancy_delete(request, pk: int, group_pk: int):
    ci = _ci(pk)
    if group_pk > 2**63 - 1:
        raise Http404
    group = get_object_or_404(RedundancyGroup.objects.filter(ci=ci), pk=group_pk)
    services.redundancy_group_delete(group=group, actor=request.user)
    messages.success(request, _("Redundancy group removed; its relationships stay."))
    return redirect(_detail_url(ci, "relationships"))
