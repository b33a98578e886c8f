"""Admin: the risk questionnaire (administrators edit it here) and read-only views of change data.

Templates, freeze windows and CAB rules are kept by change managers through the API and the
console, which go through the services; the admin shows them read-only.
"""

from django.contrib import admin

from servicedesk.admin import ReadOnlyAdmin

from . import services
from .models import CabRule, Change, ChangeTemplate, FreezeWindow, RiskQuestion


@admin.register(RiskQuestion)
class RiskQuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "risky_answer", "weight", "order", "active")
    list_editable = ("weight", "order", "active")
    list_filter = ("active", "risky_answer")

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        saved = services.risk_question_save(actor=request.user, question=obj if obj.pk else None,
                                            **(fields if obj.pk else {f: getattr(obj, f) for f in (
                                                "text", "help_text", "risky_answer", "weight", "order",
                                                "active")}))
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: answers stored on changes refer to the question's id


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "change_type", "risk_level", "planned_start", "planned_end", "outcome")
    list_filter = ("change_type", "risk_level", "outcome")
    list_select_related = ("ticket",)
    search_fields = ("ticket__number", "ticket__title")
    ordering = ("-ticket_id",)


@admin.register(ChangeTemplate)
class ChangeTemplateAdmin(ReadOnlyAdmin):
    list_display = ("name", "title", "team", "duration_minutes", "active")
    list_filter = ("active",)


@admin.register(FreezeWindow)
class FreezeWindowAdmin(ReadOnlyAdmin):
    list_display = ("name", "starts_at", "ends_at", "service", "active")


@admin.register(CabRule)
class CabRuleAdmin(ReadOnlyAdmin):
    list_display = ("change_type", "min_risk_level", "service", "group", "order", "policy", "threshold", "active")
