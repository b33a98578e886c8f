"""Admin for service level managers: calendars with hours and dates, definitions with targets and rules.

Saving a definition or calendar (the parent form is always saved) moves its ``updated_at``, which
refreshes the cached definitions; the clocks on open tickets are then recomputed in the background.
"""

from django.contrib import admin
from django.utils import timezone

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


def _recompute_later(definitions, actor):
    from esm.queueing import enqueue_on_commit

    from .tasks import recompute_definition

    for definition in definitions:
        enqueue_on_commit(recompute_definition, definition.pk, getattr(actor, "pk", None))


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

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The inlines were written after the calendar: move its stamp so cached expansions are rebuilt.
        Calendar.objects.filter(pk=form.instance.pk).update(updated_at=timezone.now())
        _recompute_later(form.instance.definitions.all(), request.user)


class TargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    extra = 0
    autocomplete_fields = ["team"]


@admin.register(SlaDefinition)
class SlaDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "order", "active", "calendar"]
    list_filter = ["type", "active", "calendar"]
    search_fields = ["name"]
    filter_horizontal = ["services", "categories", "organisations", "teams"]
    inlines = [TargetInline, EscalationRuleInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _recompute_later([form.instance], request.user)


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
