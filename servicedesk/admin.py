"""Admin for the service desk: categories (configuration), and read-only views for troubleshooting.

Tickets and notifications are never written here: every write goes through the services (docs/architecture.md, rule 1),
so the admin shows them read-only, with a link to the ticket's full audit trail (pghistory).
"""

from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from pghistory.admin import EventsAdmin
from pghistory.models import Events

from .models import ApprovalDecision, ApprovalStep, ApprovalVote, ApproverGroup, Category, Notification, Ticket
from .notifications import SUBJECTS
from .queries import is_ticket_number
from .registry import all_state_choices, state_of

# --- Shared pieces --------------------------------------------------------------------------


class CappedCountPaginator(Paginator):
    """Counts at most ``CAP`` rows: the admin's page count must not mean a COUNT(*) over a million tickets."""

    CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.CAP].count()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by staff with the view permission; nobody adds, changes or deletes here."""

    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def audit_trail_url(obj) -> str:
    """The pghistory events that reference ``obj``: its own changes and those of its comments, details …"""
    query = urlencode({"method": "references", "obj": f"{obj._meta.label}:{obj.pk}"})
    return f"{reverse('admin:pghistory_events_changelist')}?{query}"


# --- Configuration --------------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "parent", "active")
    list_filter = ("active", ("parent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "parent__name")
    autocomplete_fields = ("parent",)
    fields = ("name", "parent", "description", "active")


@admin.register(ApproverGroup)
class ApproverGroupAdmin(admin.ModelAdmin):
    """Approver groups (a CAB, a budget board) are configuration: who sits on them and who chairs them.

    Approvals expand a group to its members when they are asked, so editing a group changes later
    approvals only.
    """

    list_display = ("name", "chair", "member_count", "active")
    list_filter = ("active",)
    list_select_related = ("chair",)
    search_fields = ("name",)
    autocomplete_fields = ("chair",)
    filter_horizontal = ("members",)
    fields = ("name", "description", "chair", "members", "active")

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


# --- Read-only views ------------------------------------------------------------------------


class StateFilter(admin.SimpleListFilter):
    """States come from the workflows, not from a DISTINCT over the ticket table."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return all_state_choices()

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "title", "state_label", "priority", "team", "assignee", "opened_at")
    list_filter = ("kind", StateFilter, "priority", "active", "team")
    list_select_related = ("team", "assignee")
    search_fields = ("number", "title")
    ordering = ("-id",)
    fieldsets = (
        (None, {"fields": ("number", "kind", "title", "description", "state_label", "active", "priority",
                           "version", "audit_trail")}),
        (_("People"), {"fields": ("requester", "organisation", "team", "assignee", "watchers")}),
        (_("Classification and links"), {"fields": ("category", "service", "parent", "linked_cis")}),
        (_("Times"), {"fields": ("opened_at", "updated_at", "resolved_at", "closed_at")}),
    )
    readonly_fields = ("state_label", "linked_cis", "audit_trail")

    def get_search_results(self, request, queryset, search_term):
        # A ticket number is looked up exactly, on its unique index; anything else searches titles.
        if is_ticket_number(search_term):
            return queryset.filter(number=search_term.strip().upper()), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("state"), ordering="state")
    def state_label(self, obj):
        state = state_of(obj.kind, obj.state)
        return state.label if state else obj.state

    @admin.display(description=_("configuration items"))
    def linked_cis(self, obj):
        return ", ".join(ci.name for ci in obj.cis.all()) or "-"

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj):
        return format_html('<a href="{}">{}</a>', audit_trail_url(obj), _("Every recorded change"))


class ApprovalVoteInline(admin.TabularInline):
    model = ApprovalVote
    fields = ("approver", "via_group", "via_role", "state")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("approver", "via_group")


class ApprovalDecisionInline(ApprovalVoteInline):
    model = ApprovalDecision
    fields = ("at", "decided_by", "on_behalf_of", "decision", "comment")
    readonly_fields = fields

    def get_queryset(self, request):
        return admin.TabularInline.get_queryset(self, request).select_related("decided_by", "on_behalf_of")


@admin.register(ApprovalStep)
class ApprovalStepAdmin(ReadOnlyAdmin):
    """Approval steps with their votes and decisions, read-only: votes go through the services."""

    list_display = ("ticket", "round", "order", "name", "policy", "threshold", "state", "started_at", "decided_at")
    list_filter = ("state", "policy")
    list_select_related = ("ticket",)
    search_fields = ("ticket__number", "name")
    ordering = ("-id",)
    fields = ("ticket", "round", "order", "name", "policy", "threshold", "state", "context", "created_at",
              "started_at", "decided_at")
    inlines = (ApprovalVoteInline, ApprovalDecisionInline)


@admin.register(ApprovalDecision)
class ApprovalDecisionAdmin(ReadOnlyAdmin):
    """Every decision as it was taken (the database refuses to change or delete one)."""

    list_display = ("at", "ticket_number", "step_name", "decided_by", "on_behalf_of", "decision")
    list_filter = ("decision",)
    list_select_related = ("step__ticket", "decided_by", "on_behalf_of")
    search_fields = ("step__ticket__number", "step__name")
    ordering = ("-at", "-id")
    fields = ("step", "vote", "decided_by", "on_behalf_of", "decision", "comment", "at", "context")

    @admin.display(description=_("ticket"), ordering="step__ticket__number")
    def ticket_number(self, obj):
        return obj.step.ticket.number

    @admin.display(description=_("step"), ordering="step__name")
    def step_name(self, obj):
        return obj.step.name


class SentFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", _("Sent")), ("no", _("Not sent yet")), ("failing", _("Not sent, with errors"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "failing":
            return queryset.filter(sent_at__isnull=True, attempts__gt=0)
        return queryset


class ReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(reason, reason) for reason in SUBJECTS]

    def queryset(self, request, queryset):
        return queryset.filter(reason=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The e-mail outbox, for answering "why did (or didn't) I get a mail?"."""

    list_display = ("id", "to_email", "reason", "subject", "ticket", "created_at", "sent_at", "attempts")
    list_filter = (SentFilter, ReasonFilter)
    list_select_related = ("ticket",)
    search_fields = ("to_email", "subject", "ticket__number")
    ordering = ("-id",)
    fields = ("ticket", "recipient", "to_email", "reason", "subject", "body", "created_at", "sent_at",
              "attempts", "last_error")


# --- The audit trail ------------------------------------------------------------------------


class AuditTrailAdmin(EventsAdmin):
    """Every change recorded by the pghistory triggers, across all tracked tables, read-only."""

    # pghistory's own template lives in its optional admin app; the stock one shows the same list.
    change_list_template = "admin/change_list.html"
    paginator = CappedCountPaginator
    show_full_result_count = False

    def get_list_display(self, request):
        return ["pgh_created_at", "pgh_label", "pgh_obj_model", "pgh_obj_id", "pgh_diff", "pgh_context"]


# With "pghistory.admin" in INSTALLED_APPS, pghistory registers its own (equivalent) admin.
if not apps.is_installed("pghistory.admin") and not admin.site.is_registered(Events):
    admin.site.register(Events, AuditTrailAdmin)
