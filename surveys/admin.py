"""Admin: survey policies are edited here too (through ``policy_save``); surveys and follow-ups are read-only."""

from django import forms
from django.contrib import admin

from servicedesk import registry
from servicedesk.admin import ReadOnlyAdmin

from . import services
from .access import can_manage_policies
from .models import Survey, SurveyFollowUp, SurveyPolicy


class PolicyAdminForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=registry.kind_choices)

    class Meta:
        model = SurveyPolicy
        fields = ["kind", "active", "delay_minutes", "sample_percent", "expiry_days", "comment_required_at_or_below"]

    def clean(self):
        cleaned = super().clean()
        # The service's rules, shown on the fields before save_model calls it.
        if not self.errors:
            policy = SurveyPolicy(kind=cleaned.get("kind", self.instance.kind),
                                  **{name: cleaned[name] for name in services.POLICY_FIELDS})
            for name, message in services.policy_errors(policy).items():
                self.add_error(name if name in self.fields else None, message)
        return cleaned


@admin.register(SurveyPolicy)
class SurveyPolicyAdmin(admin.ModelAdmin):
    form = PolicyAdminForm
    fields = PolicyAdminForm.Meta.fields
    list_display = ("kind", "active", "delay_minutes", "sample_percent", "expiry_days", "comment_required_at_or_below")

    def get_readonly_fields(self, request, obj=None):
        return ("kind",) if obj else ()

    def save_model(self, request, obj, form, change):
        saved = services.policy_save(actor=request.user, kind=obj.kind,
                                     **{name: getattr(obj, name) for name in services.POLICY_FIELDS})
        obj.pk, obj.version = saved.pk, saved.version

    def has_add_permission(self, request):
        return can_manage_policies(request.user)

    def has_change_permission(self, request, obj=None):
        return can_manage_policies(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # switch a policy off instead: its surveys keep their history


class FollowUpInline(admin.TabularInline):
    model = SurveyFollowUp
    extra = 0
    can_delete = False
    readonly_fields = ("state", "note", "actor", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "score", "answered_at", "followup_state", "team", "agent", "invited_at")
    list_filter = ("kind", "score", "followup_state")
    list_select_related = ("ticket", "team", "agent")
    search_fields = ("ticket__number",)
    ordering = ("-id",)
    inlines = [FollowUpInline]

