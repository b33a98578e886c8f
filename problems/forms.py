"""Console forms of problem management; each page hands the cleaned data to one service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cmdb.models import ConfigurationItem
from esm.forms import ServiceErrorsMixin
from servicedesk.models import Category

from .choices import CauseCategory, FishboneCategory, KnownErrorStatus, RcaMethod
from .queries import problem_managers

IMPACT = [(1, _("1 - High")), (2, _("2 - Medium")), (3, _("3 - Low"))]


def style(form) -> None:
    for f in form.fields.values():
        if isinstance(f.widget, forms.CheckboxInput):
            f.widget.attrs.setdefault("class", "form-check-input")
        else:
            f.widget.attrs.setdefault("class", "form-select form-select-sm" if isinstance(
                f.widget, forms.Select) else "form-control form-control-sm")


class ProblemForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=IMPACT, coerce=int, initial=3)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=IMPACT, coerce=int, initial=2)
    category = forms.ModelChoiceField(label=_("Category"), required=False,
                                      queryset=Category.objects.filter(active=True).select_related("parent"))
    service = forms.ModelChoiceField(label=_("Service"), required=False,
                                     queryset=ConfigurationItem.objects.services())
    problem_manager = forms.ModelChoiceField(label=_("Problem manager"), queryset=User.objects.none(),
                                             required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem_manager"].queryset = problem_managers()
        style(self)


class TransitionForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    to = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    no_change_reason = forms.CharField(label=_("Why no change is needed (when no change closed successfully)"),
                                       required=False, widget=forms.Textarea(attrs={"rows": 2}))
    resolution_notes = forms.CharField(label=_("Resolution notes"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    resolve_incidents = forms.BooleanField(label=_("Also resolve the open linked incidents"), required=False)
    incident_note = forms.CharField(label=_("Public note to their requesters"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))


class RcaForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    rca_method = forms.ChoiceField(label=_("Method"), choices=[("", "—"), *RcaMethod.choices], required=False)
    root_cause = forms.CharField(label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    cause_category = forms.ChoiceField(label=_("Cause category"), choices=[("", "—"), *CauseCategory.choices],
                                       required=False)
    # The method's content as lines: "why | answer" (5 whys), "category: cause" (fishbone),
    # "when | what" (timeline), "event | cause; cause" (fault tree).
    content = forms.CharField(label=_("Analysis"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                              help_text=_("One item a line. 5 whys: why | answer. Fishbone: category: cause "
                                          "(people, process, technology, environment, suppliers, measurement). "
                                          "Timeline: when | what happened. Fault tree: event | cause; cause."))

    def rca_content(self) -> dict:
        method = self.cleaned_data.get("rca_method")
        lines = [line.strip() for line in (self.cleaned_data.get("content") or "").splitlines() if line.strip()]
        if method == RcaMethod.FIVE_WHYS:
            return {"whys": [dict(zip(("why", "answer"), [*(p.strip() for p in line.split("|", 1)), ""][:2],
                                      strict=True)) for line in lines]}
        if method == RcaMethod.FISHBONE:
            causes: dict = {}
            for line in lines:
                category, _sep, cause = line.partition(":")
                category = category.strip().lower()
                if category not in FishboneCategory.values:
                    self.add_error("content", _("Unknown fishbone category: %(c)s") % {"c": category})
                    continue
                causes.setdefault(category, []).append(cause.strip())
            return {"causes": causes}
        if method == RcaMethod.TIMELINE:
            return {"events": [dict(zip(("at", "event"), [*(p.strip() for p in line.split("|", 1)), ""][:2],
                                        strict=True)) if "|" in line else {"at": "", "event": line} for line in lines]}
        if method == RcaMethod.FAULT_TREE:
            events = []
            for line in lines:
                event, _sep, causes = line.partition("|")
                events.append({"event": event.strip(), "causes": [c.strip() for c in causes.split(";") if c.strip()]})
            return {"events": events}
        return {}


def rca_lines(method: str, content: dict) -> str:
    """The stored analysis as the form's lines."""
    if method == RcaMethod.FIVE_WHYS:
        return "\n".join(f"{w['why']} | {w['answer']}" for w in content.get("whys", []))
    if method == RcaMethod.FISHBONE:
        return "\n".join(f"{cat}: {c}" for cat, causes in content.get("causes", {}).items() for c in causes)
    if method == RcaMethod.TIMELINE:
        return "\n".join(f"{e['at']} | {e['event']}" for e in content.get("events", []))
    if method == RcaMethod.FAULT_TREE:
        return "\n".join(f"{e['event']} | {'; '.join(e['causes'])}" for e in content.get("events", []))
    return ""


class KnownErrorForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    symptoms = forms.CharField(label=_("Symptoms"), widget=forms.Textarea(attrs={"rows": 3}))
    root_cause = forms.CharField(label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    workaround = forms.CharField(label=_("Workaround (Markdown)"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 5}))
    workaround_public = forms.BooleanField(label=_("Show the workaround to requesters on the portal"),
                                           required=False)
    status = forms.ChoiceField(label=_("Status"), choices=KnownErrorStatus.choices)
    category = forms.ModelChoiceField(label=_("Category"), required=False,
                                      queryset=Category.objects.filter(active=True).select_related("parent"))
    cis = forms.CharField(label=_("Configuration items (names, comma-separated)"), required=False, max_length=2000)
    services = forms.ModelMultipleChoiceField(label=_("Services"), required=False,
                                              queryset=ConfigurationItem.objects.services())

    def clean_cis(self):
        names = [n.strip() for n in (self.cleaned_data.get("cis") or "").split(",") if n.strip()]
        found = list(ConfigurationItem.objects.filter(name__in=names))
        missing = set(names) - {ci.name for ci in found}
        if missing:
            raise forms.ValidationError(_("Unknown configuration items: %(names)s")
                                        % {"names": ", ".join(sorted(missing))})
        return found
    problem = forms.CharField(label=_("Problem number"), required=False, max_length=16)
