"""Change managers' console pages (``changes.manage_changes``): standard change templates, freeze
windows, CAB rules and approver groups. Every save goes through ``changes.services``; a refused save
comes back as form errors with the input kept."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from esm.errors import DomainError
from esm.forms import save_through_service
from servicedesk.models import ApproverGroup

from .. import services
from ..forms.manage import ApproverGroupForm, CabRuleForm, FreezeForm, TemplateForm
from ..models import CabRule, ChangeTemplate, FreezeWindow
from .access import manager_required


def _object(model, pk, **select):
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


# --- Standard change templates ---------------------------------------------------------------


@manager_required
def template_list(request):
    templates = ChangeTemplate.objects.select_related("team").annotate(uses=Count("changes")).order_by(
        "-active", "name")
    return render(request, "desk/changes/manage/templates.html", {"templates": templates})


@manager_required
@require_http_methods(["GET", "POST"])
def template_edit(request, pk: int | None = None):
    template = _object(ChangeTemplate, pk)
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            response = save_through_service(request, form, lambda: services.template_save(
                actor=request.user, template=template, expected_version=form.cleaned_data["version"],
                **form.values()), success=_("Template saved."), to="desk-changes:template_list")
            if response:
                return response
    elif template is not None:
        form = TemplateForm(initial={"version": template.version, **{
            name: getattr(template, f"{name}_id" if name in ("category", "team") else name)
            for name in TemplateForm.FIELDS}})
    else:
        form = TemplateForm()
    return render(request, "desk/changes/manage/edit.html", {
        "form": form, "object": template, "title": template.name if template else _("New standard change template"),
        "back": "desk-changes:template_list",
        "readonly": template is not None and not template.active,
    }, status=400 if form.is_bound else 200)


@manager_required
@require_POST
def template_withdraw(request, pk: int):
    template = _object(ChangeTemplate, pk)
    try:
        services.template_withdraw(actor=request.user, template=template)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("%(name)s withdrawn: no new changes can use it.") % {"name": template.name})
    return redirect("desk-changes:template_list")


# --- Freeze windows -------------------------------------------------------------------------


@manager_required
def freeze_list(request):
    windows = FreezeWindow.objects.select_related("service").order_by("-starts_at")[:500]
    return render(request, "desk/changes/manage/freezes.html", {"windows": windows})


@manager_required
@require_http_methods(["GET", "POST"])
def freeze_edit(request, pk: int | None = None):
    window = _object(FreezeWindow, pk)
    if request.method == "POST":
        form = FreezeForm(request.POST)
        if form.is_valid():
            response = save_through_service(request, form, lambda: services.freeze_window_save(
                actor=request.user, window=window, **form.values()),
                success=_("Freeze window saved."), to="desk-changes:freeze_list")
            if response:
                return response
    elif window is not None:
        form = FreezeForm(initial={"name": window.name, "starts_at": window.starts_at, "ends_at": window.ends_at,
                                   "service": window.service_id, "reason": window.reason, "active": window.active})
    else:
        form = FreezeForm()
    return render(request, "desk/changes/manage/edit.html", {
        "form": form, "object": window, "title": window.name if window else _("New freeze window"),
        "back": "desk-changes:freeze_list",
        "delete_url": "desk-changes:freeze_delete" if window else "",
    }, status=400 if form.is_bound else 200)


@manager_required
@require_POST
def freeze_delete(request, pk: int):
    window = _object(FreezeWindow, pk)
    try:
        services.freeze_window_delete(actor=request.user, window=window)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Freeze window deleted."))
    return redirect("desk-changes:freeze_list")


# --- CAB rules and approver groups ----------------------------------------------------------


@manager_required
def cab_list(request):
    rules = CabRule.objects.select_related("group", "service").order_by("change_type", "order", "id")
    groups = (ApproverGroup.objects.select_related("chair").annotate(size=Count("members"))
              .order_by("-active", "name"))
    return render(request, "desk/changes/manage/cab.html", {"rules": rules, "groups": groups})


@manager_required
@require_http_methods(["GET", "POST"])
def cab_rule_edit(request, pk: int | None = None):
    rule = _object(CabRule, pk)
    if request.method == "POST":
        form = CabRuleForm(request.POST)
        if form.is_valid():
            response = save_through_service(request, form, lambda: services.cab_rule_save(
                actor=request.user, rule=rule, **form.values()),
                success=_("CAB rule saved."), to="desk-changes:cab_rules")
            if response:
                return response
    elif rule is not None:
        form = CabRuleForm(initial={name: getattr(rule, f"{name}_id" if name in ("service", "group") else name)
                                    for name in CabRuleForm.FIELDS})
    else:
        form = CabRuleForm()
    return render(request, "desk/changes/manage/edit.html", {
        "form": form, "object": rule, "title": str(rule) if rule else _("New CAB rule"),
        "back": "desk-changes:cab_rules", "delete_url": "desk-changes:cab_rule_delete" if rule else "",
    }, status=400 if form.is_bound else 200)


@manager_required
@require_POST
def cab_rule_delete(request, pk: int):
    rule = _object(CabRule, pk)
    try:
        services.cab_rule_delete(actor=request.user, rule=rule)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("CAB rule deleted."))
    return redirect("desk-changes:cab_rules")


@manager_required
@require_http_methods(["GET", "POST"])
def group_edit(request, pk: int | None = None):
    group = _object(ApproverGroup, pk)
    if request.method == "POST":
        form = ApproverGroupForm(request.POST)
        if form.is_valid():
            response = save_through_service(request, form, lambda: services.approver_group_save(
                actor=request.user, group=group, members=list(form.cleaned_data["members"]), **form.values()),
                success=_("Approver group saved."), to="desk-changes:cab_rules")
            if response:
                return response
    elif group is not None:
        form = ApproverGroupForm(initial={"name": group.name, "description": group.description,
                                          "chair": group.chair_id, "active": group.active,
                                          "members": list(group.members.values_list("pk", flat=True))})
    else:
        form = ApproverGroupForm()
    return render(request, "desk/changes/manage/edit.html", {
        "form": form, "object": group, "title": group.name if group else _("New approver group"),
        "back": "desk-changes:cab_rules",
    }, status=400 if form.is_bound else 200)
