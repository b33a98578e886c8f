"""Forms of the change managers' pages: standard templates, freeze windows, CAB rules, approver groups.
They parse input; ``changes.services`` validates and saves (rule 1)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from cmdb.models import ConfigurationItem
from esm.fields import SingleLineFormField
from incidents.forms.desk import DeskForm, category_queryset
from servicedesk.models import ApprovalPolicy, ApproverGroup
from servicedesk.rendering import MAX_BODY_CHARS

from ..choices import ChangeReason, ChangeType, RiskLevel
from .desk import text_area, window_field

MAX_VERSION = 2**31 - 1


class TemplateForm(DeskForm):
    FIELDS = ("name", "title", "description", "category", "reason", "implementation_plan", "backout_plan",
              "test_plan", "team", "duration_minutes")

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_VERSION, required=False)
    name = SingleLineFormField(label=_("Name"), max_length=200)
    title = SingleLineFormField(label=_("Change title"), max_length=200)
    description = text_area(_("Description"))
    category = forms.ModelChoiceField(label=_("Category"), queryset=category_queryset(), required=False)
    reason = forms.ChoiceField(label=_("Reason"), choices=ChangeReason.choices, initial=ChangeReason.MAINTENANCE)
    implementation_plan = text_area(_("Implementation plan"), rows=4, required=True)
    backout_plan = text_area(_("Back-out plan"), required=True)
    test_plan = text_area(_("Test plan"))
    team = forms.ModelChoiceField(label=_("Implementing team"), queryset=Team.objects.filter(active=True),
                                  required=False)
    duration_minutes = forms.IntegerField(label=_("Usual duration (minutes)"), min_value=1, max_value=60 * 24 * 14,
                                          initial=60)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class FreezeForm(DeskForm):
    name = SingleLineFormField(label=_("Name"), max_length=200)
    starts_at = window_field(_("Starts"), required=True)
    ends_at = window_field(_("Ends"), required=True)
    service = forms.ModelChoiceField(label=_("Service"), queryset=ConfigurationItem.objects.none(), required=False,
                                     help_text=_("Empty: the freeze applies to every change."))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=MAX_BODY_CHARS,
                             widget=forms.Textarea(attrs={"rows": 2}))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    FIELDS = ("name", "starts_at", "ends_at", "service", "reason", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = ConfigurationItem.objects.services().order_by("name")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_at") and cleaned.get("ends_at") and cleaned["ends_at"] <= cleaned["starts_at"]:
            self.add_error("ends_at", _("The end must be after the start."))
        return cleaned

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class CabRuleForm(DeskForm):
    change_type = forms.ChoiceField(label=_("Type"), choices=[(t.value, t.label) for t in ChangeType
                                                              if t != ChangeType.STANDARD])
    min_risk_level = forms.ChoiceField(label=_("From risk level"), choices=RiskLevel.choices)
    service = forms.ModelChoiceField(label=_("Service"), queryset=ConfigurationItem.objects.none(), required=False,
                                     help_text=_("Empty: any service."))
    group = forms.ModelChoiceField(label=_("Approver group"), queryset=ApproverGroup.objects.filter(active=True))
    policy = forms.ChoiceField(label=_("Policy"), choices=ApprovalPolicy.choices, initial=ApprovalPolicy.ANY)
    threshold = forms.IntegerField(label=_("Threshold"), required=False, min_value=1, max_value=100,
                                   help_text=_("Approvals needed (quorum) or per cent (percentage)."))
    order = forms.IntegerField(label=_("Step order"), min_value=1, max_value=100, initial=1)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    FIELDS = ("change_type", "min_risk_level", "service", "group", "policy", "threshold", "order", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = ConfigurationItem.objects.services().order_by("name")

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class ApproverGroupForm(DeskForm):
    name = SingleLineFormField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, max_length=MAX_BODY_CHARS,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    chair = forms.ModelChoiceField(label=_("Chair"), queryset=User.objects.none(), required=False)
    members = forms.ModelMultipleChoiceField(label=_("Members"), queryset=User.objects.none(), required=False,
                                             widget=forms.SelectMultiple(attrs={"size": 10}))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff = (User.objects.filter(is_active=True, groups__permissions__codename="work_ticket").distinct()
                 .order_by("first_name", "last_name", "username"))
        self.fields["chair"].queryset = staff
        self.fields["members"].queryset = staff

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("name", "description", "chair", "active")}
