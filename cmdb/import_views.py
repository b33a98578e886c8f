"""The console's CI import (``/desk/cmdb/import/``): upload, dry run, then apply exactly what was previewed.

Every rule is the import service's (``cmdb.imports.ci_import``, as for the command and the API).
This module only keeps the previewed files between the two steps — server-side, in the cache
(Redis), compressed, for ``PENDING_MAX_AGE``, at most two files of ``ImportForm.UPLOAD_MAX_BYTES``;
the session holds only the token of its one pending preview, so a forgotten preview weighs on
nothing and no request but this page's reads it. A newer upload replaces the preview, so a
forgotten tab cannot apply another file; applying passes the preview's digest to the service,
which writes nothing when the rows no longer check the way the preview showed.
"""

import json
import secrets
import zlib
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from . import imports
from .attributes import ClassCatalogue
from .choices import Environment, LifecycleStatus
from .forms import ImportForm
from .models import RelationshipType
from .views import editor_required

SESSION_KEY = "cmdb_import"
PENDING_MAX_AGE = 60 * 60
REPORT_ROWS_SHOWN = 1000

OUTCOMES = {  # label, badge; the report lists rows in this order
    "rejected": (gettext_lazy("Rejected"), "danger"),
    "changed": (gettext_lazy("Changed"), "primary"),
    "created": (gettext_lazy("Created"), "success"),
    "unchanged": (gettext_lazy("Unchanged"), "secondary"),
}
KINDS = {"ci": gettext_lazy("CI"), "relationship": gettext_lazy("Relationship")}


# --- The pending import ---------------------------------------------------------------------


def _cache_key(request, token: str) -> str:
    return f"cmdb-import:{request.user.pk}:{token}"


def _keep(request, form: ImportForm, report: imports.ImportReport) -> dict:
    """Keep the previewed files (replacing this session's earlier preview); return what the page shows of them."""
    pending = {
        "token": secrets.token_urlsafe(16),
        "source": form.cleaned_data["source"],
        "skip_rejected": form.cleaned_data["skip_rejected"],
        "files": [list(f) for f in form.files_read],
        "digest": report.digest,
    }
    _forget(request)
    _store(request, pending)
    request.session[SESSION_KEY] = pending["token"]
    return pending


def _store(request, pending: dict) -> None:
    cache.set(_cache_key(request, pending["token"]), zlib.compress(json.dumps(pending).encode()), PENDING_MAX_AGE)


def _pending(request, token: str) -> dict | None:
    """The preview the Apply form names, if it is this session's latest and has not expired."""
    if not token or not constant_time_compare(request.session.get(SESSION_KEY) or "", token):
        return None
    kept = cache.get(_cache_key(request, token))
    return json.loads(zlib.decompress(kept)) if kept else None


def _forget(request) -> None:
    token = request.session.pop(SESSION_KEY, None)
    if token:
        cache.delete(_cache_key(request, token))


def _rows(pending: dict) -> tuple[list, list]:
    """The rows of the kept files, parsed again exactly as at upload."""
    cis, relationships = [], []
    for kind, name, text in pending["files"]:
        more_cis, more_relationships = imports.parse_file(name, text, kind=kind)
        cis += more_cis
        relationships += more_relationships
    return cis, relationships


# --- The report as the page shows it --------------------------------------------------------


@dataclass
class ReportLine:
    row: int
    kind: str
    key: str
    name: str
    outcome: str
    label: str
    badge: str
    changes: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _report_context(report: imports.ImportReport, cis: list) -> dict:
    order = list(OUTCOMES)
    ordered = sorted(report.rows, key=lambda r: (order.index(r.outcome), r.kind != "ci", r.row))
    lines = []
    for r in ordered[:REPORT_ROWS_SHOWN]:
        source_row = cis[r.row - 1] if r.kind == "ci" and 0 < r.row <= len(cis) else None
        name = source_row.get("name") if isinstance(source_row, dict) else None
        label, badge = OUTCOMES[r.outcome]
        lines.append(ReportLine(
            row=r.row, kind=KINDS[r.kind], key=r.key, name=str(name)[:200] if name else "", outcome=r.outcome,
            label=label, badge=badge, changes=[imports.change_column(c) for c in r.changes],
            errors=[("" if column == "row" else column, message)
                    for column, messages_ in r.errors.items() for message in messages_]))
    by_kind = {kind: dict.fromkeys(OUTCOMES, 0) for kind in KINDS}
    for r in report.rows:
        by_kind[r.kind][r.outcome] += 1
    return {
        "report": report,
        "counts": report.counts,
        "by_kind": [(KINDS[kind], [counts[o] for o in ("created", "changed", "unchanged", "rejected")])
                    for kind, counts in by_kind.items()],
        "lines": lines,
        "total_rows": len(report.rows),
        "rows_cut": len(report.rows) > REPORT_ROWS_SHOWN,
        "rows_shown": REPORT_ROWS_SHOWN,
    }


def _help_context() -> dict:
    catalogue = ClassCatalogue()
    return {
        "classes": sorted(catalogue.classes.values(), key=lambda c: c.name),
        "relationship_types": RelationshipType.objects.order_by("name"),
        "statuses": LifecycleStatus.values,
        "environments": Environment.values,
        "max_rows": imports.MAX_ROWS,
        "max_mb": ImportForm.UPLOAD_MAX_BYTES // (1024 * 1024),
    }


# --- The page -------------------------------------------------------------------------------


@editor_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    if request.method == "POST" and request.POST.get("action") == "apply":
        return _apply(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "stage": "upload"}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            report = imports.ci_import(actor=request.user, source=data["source"], cis=form.cis,
                                       relationships=form.relationships, dry_run=True,
                                       skip_rejected=data["skip_rejected"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            pending = _keep(request, form, report)
            context.update(_report_context(report, form.cis), stage="preview", pending=pending)
    context.update(_help_context())
    return render(request, "cmdb/import.html", context)


def _apply(request):
    pending = _pending(request, request.POST.get("token", "")[:100])
    if pending is None:
        messages.error(request, _("This preview is no longer available: it expired, or a newer upload replaced "
                                  "it. Nothing was written; upload the file again."))
        return redirect("desk-cmdb:import")
    skip = bool(request.POST.get("skip_rejected"))
    try:
        cis, relationships = _rows(pending)
        report = imports.ci_import(actor=request.user, source=pending["source"], cis=cis, relationships=relationships,
                                   dry_run=False, skip_rejected=skip, expected_digest=pending["digest"])
    except ValidationError as exc:  # checked at preview; only changed limits between the steps get here
        _forget(request)
        for message in exc.messages:
            messages.error(request, message)
        return redirect("desk-cmdb:import")
    context = {"stage": "preview", "pending": pending, **_report_context(report, cis), **_help_context()}
    if report.applied:
        _forget(request)
        counts = report.counts
        messages.success(request, _("Import applied: %(created)s created, %(changed)s changed, %(unchanged)s "
                                    "unchanged, %(rejected)s rejected and left out.") % counts)
        context["stage"] = "applied"
    else:  # nothing written: keep the preview, as now checked, for another try
        pending.update(digest=report.digest, skip_rejected=skip)
        _store(request, pending)
        context["drifted" if report.drifted else "refused"] = True
    return render(request, "cmdb/import.html", context)
