"""Admin for service level managers: calendars with hours and dates, definitions with targets and rules.

Calendars and definitions are written by ``sla.services.calendar_save`` / ``definition_save`` (the
same functions as the console and the API): validation, the audit context and the recompute of the
clocks that depend on them come with the write; targets and escalation rules are passed to the same call.
"""

from django.contrib import admin

from . import services
from .models import (
    Calendar,
    CalendarDate,
    CalendarHours,
    Clock,
    ClockEvent,
    EscalationRule,
    EscalationRun,
    Recomputation,
    SlaDefinition,
    SlaTarget,
)

CALENDAR_FIELDS = ("name", "time_zone", "holiday_country", "holiday_subdivision", "description")
DATE_FIELDS = ("date", "kind", "start", "end", "note")


def _kept_rows(formset) -> list[dict]:
    """The rows an inline keeps; the service writes them (so the admin's change message lists none)."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


class CalendarHoursInline(admin.TabularInline):
    model = CalendarHours
    extra = 0


class CalendarDateInline(admin.TabularInline):
    model = CalendarDate
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "holiday_country", "holiday_subdivision", "updated_at"]
    search_fields = ["name"]
    inlines = [CalendarHoursInline, CalendarDateInline]

    def save_model(self, request, obj, form, change):
        """Written with its hours and dates in ``save_related``, in one service call."""

    def save_related(self, request, form, formsets, change):
        rows = {formset.model: _kept_rows(formset) for formset in formsets}
        services.calendar_save(
            actor=request.user, calendar=form.instance,
            hours=[(r["weekday"], r["start"], r["end"]) for r in rows.get(CalendarHours, [])],
            dates=[{name: r.get(name) for name in DATE_FIELDS} for r in rows.get(CalendarDate, [])],
            **{name: form.cleaned_data[name] for name in CALENDAR_FIELDS if name in form.cleaned_data},
        )


class TargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    extra = 0
    autocomplete_fields = ["team"]
    can_delete = False  # runs refer to their rule: switch one off with "active" (sla.services)


@admin.register(SlaDefinition)
class SlaDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "order", "active", "calendar"]
    list_filter = ["type", "active", "calendar"]
    search_fields = ["name"]
    filter_horizontal = ["services", "categories", "organisations", "teams"]
    inlines = [TargetInline, EscalationRuleInline]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.DEFINITION_FIELDS | services.DEFINITION_M2M
                  if name in form.cleaned_data}
        services.definition_save(actor=request.user, definition=obj, **fields)

    def save_related(self, request, form, formsets, change):
        rows = {formset.model: _kept_rows(formset) for formset in formsets}
        escalations = [{**({"id": r["id"].pk} if r.get("id") else {}),
                        **{name: r.get(name) for name in ("metric", "threshold", "action", "team", "active")}}
                       for r in rows.get(EscalationRule, []) if r.get("action")]
        services.definition_save(actor=request.user, definition=form.instance, escalations=escalations,
                                 targets={r["metric"]: r["seconds"] for r in rows.get(SlaTarget, [])})


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ["ticket", "type", "metric", "team", "state", "due_at", "breached"]
    list_filter = ["type", "metric", "state", "breached"]
    list_select_related = ["ticket", "team"]
    raw_id_fields = ["ticket"]
    search_fields = ["ticket__number"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ClockEvent)
class ClockEventAdmin(admin.ModelAdmin):
    list_display = ["clock", "threshold", "due_at", "detected_at"]
    raw_id_fields = ["clock"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EscalationRun)
class EscalationRunAdmin(admin.ModelAdmin):
    list_display = ["clock", "rule", "status", "queued_at", "done_at", "attempts", "result"]
    list_filter = ["status"]
    raw_id_fields = ["clock", "rule", "event"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(Recomputation)
class RecomputationAdmin(admin.ModelAdmin):
    list_display = ["at", "ticket", "reason", "clocks", "actor"]
    raw_id_fields = ["ticket", "definition", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
