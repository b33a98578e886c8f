"""Admin for incident configuration (the priority matrix) and a read-only view of incident details."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from servicedesk.admin import ReadOnlyAdmin, audit_trail_url

from .models import Incident, PriorityMatrix


@admin.register(PriorityMatrix)
class PriorityMatrixAdmin(admin.ModelAdmin):
    """The nine impact × urgency cells, created by migration: only their priority is edited.

    A new priority applies to incidents opened or re-prioritised from then on.
    """

    list_display = ("impact", "urgency", "priority")
    list_display_links = ("impact",)
    list_editable = ("priority",)
    list_filter = ("impact", "urgency", "priority")

    def get_readonly_fields(self, request, obj=None):
        return ("impact", "urgency")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "impact", "urgency", "channel", "major", "resolution_code")
    list_filter = ("major", "channel", "impact", "urgency", "resolution_code")
    list_select_related = ("ticket",)
    search_fields = ("ticket__number", "ticket__title")
    ordering = ("-ticket_id",)
    fields = ("ticket", "impact", "urgency", "channel", "major", "on_hold_reason", "resolution_code",
              "resolution_notes", "merged_into", "audit_trail")
    readonly_fields = ("audit_trail",)

    @admin.display(description=_("number"), ordering="ticket__number")
    def number(self, obj):
        return obj.ticket.number

    @admin.display(description=_("title"))
    def title(self, obj):
        return obj.ticket.title

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj):
        return format_html('<a href="{}">{}</a>', audit_trail_url(obj.ticket), _("Every recorded change"))
