"""API representations of changes (read) and the inputs of every change write.

Reads embed brief related objects; writes take ids (incident numbers for ``from_incident`` and
links). Input serializers only parse: every rule is checked by the service the view calls.
"""

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.serializers import BriefTeamSerializer, BriefUserSerializer
from accounts.models import Team, User
from cmdb.api.serializers import BriefCISerializer
from cmdb.models import ConfigurationItem
from esm.api_bases import MAX_ID, id_field
from esm.fields import SingleLineCharField
from servicedesk.api.serializers import BriefCategorySerializer
from servicedesk.choices import Priority
from servicedesk.models import ApproverGroup, Category
from servicedesk.rendering import MAX_BODY_CHARS

from ..choices import ChangeReason, ChangeState, ChangeType, ImplementationOutcome, LinkRelation, RiskLevel
from ..models import CabRule, ChangeTemplate, FreezeWindow
from ..risk import reason_text
from ..services import MAX_CIS

NUMBER_MAX = 20


def change_url(request, number: str) -> str:
    path = reverse("change-detail", kwargs={"number": number})
    return request.build_absolute_uri(path) if request else path


class ChangeUrls:
    """Absolute change URLs for a page: one ``reverse`` per request, not one per row."""

    MARK = "CHG0"

    def __init__(self, request):
        self.template = change_url(request, self.MARK)

    def __call__(self, number: str) -> str:
        return self.template.replace(self.MARK, number, 1)


def _when(value, tz) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as "Z"."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# --- Reads ----------------------------------------------------------------------------------


class ChangeListItemSerializer(serializers.Serializer):
    """A list row (built by ``change_row``; this documents it)."""

    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=ChangeState.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    change_type = serializers.ChoiceField(choices=ChangeType.choices)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, allow_blank=True)
    risk_score = serializers.IntegerField(allow_null=True)
    planned_start = serializers.DateTimeField(allow_null=True)
    planned_end = serializers.DateTimeField(allow_null=True)
    outcome = serializers.ChoiceField(choices=ImplementationOutcome.choices, allow_blank=True)
    requester = BriefUserSerializer()
    change_manager = BriefUserSerializer(allow_null=True)
    team = BriefTeamSerializer(allow_null=True)
    assignee = BriefUserSerializer(allow_null=True, help_text=_("The implementer."))
    service = BriefCISerializer(allow_null=True)
    opened_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(help_text=_("Send it back as If-Match to refuse stale writes."))
    url = serializers.CharField()


def change_row(row: dict, urls: ChangeUrls, lookups, tz) -> dict:
    people = lookups.people
    return {
        "number": row["number"], "title": row["title"], "state": row["state"], "priority": row["priority"],
        "change_type": row["change__change_type"], "risk_level": row["change__risk_level"],
        "risk_score": row["change__risk_score"],
        "planned_start": _when(row["change__planned_start"], tz), "planned_end": _when(row["change__planned_end"], tz),
        "outcome": row["change__outcome"],
        "requester": people.get(row["requester_id"]),
        "change_manager": people.get(row["change__change_manager_id"]),
        "team": lookups.teams.get(row["team_id"]),
        "assignee": people.get(row["assignee_id"]),
        "service": lookups.services.get(row["service_id"]),
        "opened_at": _when(row["opened_at"], tz), "updated_at": _when(row["updated_at"], tz),
        "closed_at": _when(row["closed_at"], tz), "version": row["version"], "url": urls(row["number"]),
    }


class RiskReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("risky_answer, unanswered, services_endangered, failed_before, "
                                             "caused_incidents or emergency."))
    points = serializers.IntegerField()
    params = serializers.DictField(help_text=_("The facts behind the reason."))
    text = serializers.CharField(help_text=_("The reason in the reader's language."))


class RiskSummarySerializer(serializers.Serializer):
    score = serializers.IntegerField(allow_null=True)
    level = serializers.ChoiceField(choices=RiskLevel.choices, allow_blank=True)
    assessed_at = serializers.DateTimeField(allow_null=True)
    reasons = RiskReasonSerializer(many=True)


def risk_summary(change) -> dict:
    return {"score": change.risk_score, "level": change.risk_level, "assessed_at": change.risk_assessed_at,
            "reasons": [{**r, "text": reason_text(r)} for r in change.risk_reasons or []]}


class RiskQuestionAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    help_text = serializers.CharField()
    risky_answer = serializers.BooleanField(help_text=_("The answer that adds risk."))
    weight = serializers.IntegerField()
    answer = serializers.BooleanField(allow_null=True)


class RiskSerializer(RiskSummarySerializer):
    questions = RiskQuestionAnswerSerializer(many=True)


class RiskAnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.BooleanField(allow_null=True),
        help_text=_("Question id → true (yes), false (no) or null (not known). Replaces the earlier answers."))


class ServiceAtRiskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    criticality = serializers.IntegerField()


class LinkSerializer(serializers.Serializer):
    relation = serializers.ChoiceField(choices=LinkRelation.choices)
    number = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()


class ActionSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=ChangeState.choices)
    name = serializers.CharField()
    label = serializers.CharField()
    requires = serializers.ListField(child=serializers.CharField(), help_text=_("Fields the move needs."))
    blocked = serializers.ListField(child=serializers.CharField(),
                                    help_text=_("Guards still missing (codes); empty when the move can be taken."))
    overridable = serializers.BooleanField(help_text=_("A change manager may take it anyway, with a reason."))


class BriefTemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    active = serializers.BooleanField()


class ChangeDetailSerializer(ChangeListItemSerializer):
    description = serializers.CharField()
    reason = serializers.ChoiceField(choices=ChangeReason.choices)
    justification = serializers.CharField()
    implementation_plan = serializers.CharField()
    backout_plan = serializers.CharField()
    test_plan = serializers.CharField()
    category = BriefCategorySerializer(allow_null=True)
    template = BriefTemplateSerializer(allow_null=True,
                                       help_text=_("The standard-change template it was copied from."))
    actual_start = serializers.DateTimeField(allow_null=True)
    actual_end = serializers.DateTimeField(allow_null=True)
    review_notes = serializers.CharField(help_text=_("Lessons learned."))
    reviewed_by = BriefUserSerializer(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    risk = RiskSummarySerializer()
    cis = BriefCISerializer(many=True, help_text=_("Configuration items the change touches."))
    services_at_risk = ServiceAtRiskSerializer(many=True, help_text=_("Business services its CIs endanger."))
    links = LinkSerializer(many=True)
    approval = serializers.ChoiceField(choices=[("", "-"), ("pending", "pending"), ("approved", "approved"),
                                                ("rejected", "rejected")],
                                       allow_blank=True, help_text=_("The latest approval round's outcome."))
    actions = ActionSerializer(many=True, help_text=_("The moves you may take now."))


class ConflictSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("change", "change"), ("freeze", "freeze")])
    code = serializers.CharField(help_text=_("change_overlap, freeze_global or freeze_service."))
    text = serializers.CharField(help_text=_("Why, in the reader's language."))
    facts = serializers.DictField()


def conflict_data(conflict) -> dict:
    return {"kind": conflict.kind, "code": conflict.facts.get("code"), "text": conflict.text, "facts": conflict.facts}


# --- Writes ---------------------------------------------------------------------------------


def ci_list_field(**kwargs):
    return serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                 max_length=MAX_CIS, help_text=_("Ids of the configuration items it touches."),
                                 **kwargs)


class ChangeFieldsSerializer(serializers.Serializer):
    title = SingleLineCharField(max_length=200)
    description = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True)
    reason = serializers.ChoiceField(choices=ChangeReason.choices)
    justification = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True)
    implementation_plan = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True)
    backout_plan = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True)
    test_plan = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True)
    category = id_field(Category.objects.all(), allow_null=True)
    service = id_field(ConfigurationItem.objects.all(), allow_null=True)
    team = id_field(Team.objects.all(), allow_null=True)
    assignee = id_field(User.objects.all(), allow_null=True, help_text=_("The implementer: a member of the team."))
    change_manager = id_field(User.objects.all(), allow_null=True)
    planned_start = serializers.DateTimeField(allow_null=True)
    planned_end = serializers.DateTimeField(allow_null=True)
    cis = ci_list_field()

    def validate_cis(self, ids):
        found = ConfigurationItem.objects.in_bulk(set(ids))
        missing = sorted({i for i in ids if i not in found})
        if missing:
            raise serializers.ValidationError(gettext("No configuration item has the id %(ids)s.")
                                              % {"ids": ", ".join(map(str, missing))})
        return [found[i] for i in dict.fromkeys(ids)]


class ChangeCreateSerializer(ChangeFieldsSerializer):
    change_type = serializers.ChoiceField(choices=ChangeType.choices, default=ChangeType.NORMAL,
                                          help_text=_("Standard changes come from a template."))
    template = id_field(ChangeTemplate.objects.all(), required=False, allow_null=True,
                        help_text=_("A standard-change template: fills the record and skips the CAB."))
    from_incident = serializers.CharField(max_length=NUMBER_MAX, required=False, allow_blank=True,
                                          help_text=_("Number of the incident the change addresses (linked both "
                                                      "ways; its service and CIs come along)."))
    risk_answers = serializers.DictField(child=serializers.BooleanField(allow_null=True), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "change_type":
                field.required = False
        self.fields["title"].allow_blank = True


class ChangeUpdateSerializer(ChangeFieldsSerializer):
    change_type = serializers.ChoiceField(choices=ChangeType.choices, help_text=_("Only while New."))
    override_reason = serializers.CharField(
        max_length=MAX_BODY_CHARS, allow_blank=True, required=False,
        help_text=_("Change managers: move a scheduled change's window, CIs or service into a freeze window; "
                    "recorded on the timeline."))


WINDOW_WITH_MOVE = _("Moving to Scheduled: the planned window, set with the move.")


class ChangeTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ChangeState.choices, help_text=_("The target state."))
    reason = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True, default="",
                                   help_text=_("Why (required to reject); recorded on the timeline."))
    override_reason = serializers.CharField(
        max_length=MAX_BODY_CHARS, allow_blank=True, default="",
        help_text=_("Change managers: take the move although a guard refuses it (not authorised, window not "
                    "started, freeze window); recorded on the timeline."))
    outcome = serializers.ChoiceField(choices=ImplementationOutcome.choices, allow_blank=True, default="",
                                      help_text=_("Required to finish the implementation (to Review)."))
    review_notes = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True, default="",
                                         help_text=_("Lessons learned: required to close (unless recorded)."))
    planned_start = serializers.DateTimeField(required=False, allow_null=True, help_text=WINDOW_WITH_MOVE)
    planned_end = serializers.DateTimeField(required=False, allow_null=True, help_text=WINDOW_WITH_MOVE)


class ReviewSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ImplementationOutcome.choices, allow_blank=True, default="")
    review_notes = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True, default="")


class LinkCreateSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=NUMBER_MAX, help_text=_("An incident or problem number."))
    relation = serializers.ChoiceField(choices=LinkRelation.choices)


# --- Templates, freeze windows, CABs -------------------------------------------------------------


class TemplateSerializer(serializers.ModelSerializer):
    name = SingleLineCharField(max_length=200)
    title = SingleLineCharField(max_length=200)
    category = id_field(Category.objects.all(), allow_null=True, required=False)
    team = id_field(Team.objects.all(), allow_null=True, required=False)

    class Meta:
        model = ChangeTemplate
        fields = ["id", "name", "title", "description", "category", "reason", "implementation_plan",
                  "backout_plan", "test_plan", "team", "duration_minutes", "active", "withdrawn_at", "version",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "active", "withdrawn_at", "version", "created_at", "updated_at"]
        extra_kwargs = {"duration_minutes": {"min_value": 1, "max_value": 60 * 24 * 14}}


class FreezeWindowSerializer(serializers.ModelSerializer):
    name = SingleLineCharField(max_length=200)
    service = id_field(ConfigurationItem.objects.all(), allow_null=True, required=False,
                       help_text=_("A business service; empty: every change."))

    class Meta:
        model = FreezeWindow
        fields = ["id", "name", "starts_at", "ends_at", "service", "reason", "active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ApproverGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    description = serializers.CharField()
    chair = BriefUserSerializer(allow_null=True)
    members = BriefUserSerializer(many=True)
    active = serializers.BooleanField()


class ApproverGroupInputSerializer(serializers.Serializer):
    name = SingleLineCharField(max_length=120)
    description = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True, required=False)
    chair = id_field(User.objects.all(), allow_null=True, required=False)
    members = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=200,
                                    required=False, help_text=_("Ids of the members (replace the earlier ones)."))
    active = serializers.BooleanField(required=False)

    def validate_members(self, ids):
        found = User.objects.in_bulk(set(ids))
        missing = sorted({i for i in ids if i not in found})
        if missing:
            raise serializers.ValidationError(gettext("No person has the id %(ids)s.")
                                              % {"ids": ", ".join(map(str, missing))})
        return [found[i] for i in dict.fromkeys(ids)]


class CabRuleSerializer(serializers.ModelSerializer):
    group = id_field(ApproverGroup.objects.all())
    service = id_field(ConfigurationItem.objects.all(), allow_null=True, required=False)

    class Meta:
        model = CabRule
        fields = ["id", "change_type", "min_risk_level", "service", "group", "order", "policy", "threshold",
                  "active"]
        read_only_fields = ["id"]


class CabsSerializer(serializers.Serializer):
    groups = ApproverGroupSerializer(many=True)
    rules = CabRuleSerializer(many=True)


# --- Calendar, agenda, metrics, feed tokens -----------------------------------------------------


class CalendarChangeSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=ChangeState.choices)
    change_type = serializers.ChoiceField(choices=ChangeType.choices)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, allow_blank=True)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    team = BriefTeamSerializer(allow_null=True)
    service = BriefCISerializer(allow_null=True)
    url = serializers.CharField()


class CalendarFreezeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    service = BriefCISerializer(allow_null=True)
    reason = serializers.CharField()


class ChangeCalendarSerializer(serializers.Serializer):
    time_zone = serializers.CharField(help_text=_("The zone the times are given in."))
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    changes = CalendarChangeSerializer(many=True)
    freeze_windows = CalendarFreezeSerializer(many=True)


class AgendaItemSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=ChangeState.choices)
    change_type = serializers.ChoiceField(choices=ChangeType.choices)
    planned_start = serializers.DateTimeField(allow_null=True)
    planned_end = serializers.DateTimeField(allow_null=True)
    change_manager = BriefUserSerializer(allow_null=True)
    team = BriefTeamSerializer(allow_null=True)
    service = BriefCISerializer(allow_null=True)
    risk = RiskSummarySerializer()
    conflicts = ConflictSerializer(many=True)
    url = serializers.CharField()


class MetricsTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MetricsRowSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("YYYY-MM, of opening."))
    team = MetricsTeamSerializer(allow_null=True)
    opened = serializers.IntegerField()
    emergency = serializers.IntegerField()
    emergency_share = serializers.FloatField(allow_null=True)
    implemented = serializers.IntegerField()
    successful = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True)
    caused_incidents = serializers.IntegerField()
    mean_lead_time_hours = serializers.FloatField(allow_null=True,
                                                  help_text=_("From opening to implementation start."))


class MetricsSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    rows = MetricsRowSerializer(many=True)


class FeedTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class FeedTokenCreatedSerializer(FeedTokenSerializer):
    token = serializers.CharField(help_text=_("Shown once: keep it. Subscribe to …/calendar.ics?token=…"))
    feed_url = serializers.CharField()
