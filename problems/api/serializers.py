"""API representations of problems, known errors and candidates, and the inputs of their writes.

Reads embed brief related objects; writes take ids and ticket numbers. Input serializers only
parse: every rule is checked by the service the view calls.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.serializers import BriefTeamSerializer, BriefUserSerializer
from accounts.models import Team, User
from cmdb.api.serializers import BriefCISerializer
from cmdb.models import ConfigurationItem
from esm.api_bases import id_field
from esm.fields import SingleLineCharField
from incidents.choices import Impact, Urgency
from servicedesk.api.serializers import BriefCategorySerializer
from servicedesk.choices import Priority
from servicedesk.models import Category
from servicedesk.rendering import MAX_BODY_CHARS

from ..choices import CandidateState, CauseCategory, ProblemState, RcaMethod

NUMBERS_MAX = 200
IMPACT = serializers.ChoiceField(choices=Impact.choices)


class BriefTicketSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    active = serializers.BooleanField()


class ProblemListItemSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=ProblemState.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    problem_manager = BriefUserSerializer(allow_null=True)
    team = BriefTeamSerializer(allow_null=True)
    assignee = BriefUserSerializer(allow_null=True)
    service = BriefCISerializer(allow_null=True)
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices, allow_blank=True)
    opened_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(help_text=_("Send it back as If-Match to refuse stale writes."))
    url = serializers.URLField()


class ProblemActionSerializer(serializers.Serializer):
    target = serializers.CharField()
    name = serializers.CharField()
    label = serializers.CharField()
    requires = serializers.ListField(child=serializers.CharField())
    blocked = serializers.ListField(child=serializers.CharField(), help_text=_("Guard codes still missing."))


class IncidentResolutionSerializer(serializers.Serializer):
    resolved = serializers.ListField(child=serializers.CharField())
    not_resolved = serializers.ListField(child=serializers.DictField(child=serializers.CharField()),
                                         help_text=_("Each {number, reason}: incidents that could not move."))


class KnownErrorBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField(help_text=_("active, or retired (the fix is deployed)."))


class ProblemDetailSerializer(ProblemListItemSerializer):
    description = serializers.CharField()
    category = BriefCategorySerializer(allow_null=True)
    requester = BriefUserSerializer()
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    rca_method = serializers.ChoiceField(choices=RcaMethod.choices, allow_blank=True)
    rca_content = serializers.DictField(help_text=_(
        "5 whys: {whys: [{why, answer}]}; fishbone: {causes: {category: [cause]}}; timeline: {events: [{at, "
        "event}]}; fault tree: {events: [{event, causes: [cause]}]}."))
    root_cause = serializers.CharField(allow_blank=True)
    no_change_reason = serializers.CharField(allow_blank=True)
    resolution_notes = serializers.CharField(allow_blank=True)
    cis = BriefCISerializer(many=True)
    incidents = BriefTicketSerializer(many=True)
    changes = serializers.ListField(child=serializers.DictField(), help_text=_("Changes that address the problem."))
    known_errors = KnownErrorBriefSerializer(many=True)
    actions = ProblemActionSerializer(many=True)
    incident_resolution = IncidentResolutionSerializer(allow_null=True, required=False, help_text=_(
        "After a resolve with resolve_incidents: what happened to the linked incidents."))


class ProblemCreateSerializer(serializers.Serializer):
    title = SingleLineCharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False, default=3)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=2)
    category = id_field(Category.objects.all(), required=False, allow_null=True)
    service = id_field(ConfigurationItem.objects.all(), required=False, allow_null=True)
    cis = id_field(ConfigurationItem.objects.all(), many=True, required=False)
    team = id_field(Team.objects.all(), required=False, allow_null=True)
    assignee = id_field(User.objects.all(), required=False, allow_null=True)
    problem_manager = id_field(User.objects.all(), required=False, allow_null=True)
    incidents = serializers.ListField(child=serializers.CharField(max_length=20), required=False,
                                      max_length=NUMBERS_MAX, help_text=_("Incident numbers to raise it from."))


class ProblemUpdateSerializer(serializers.Serializer):
    title = SingleLineCharField(max_length=200, required=False)
    description = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    category = id_field(Category.objects.all(), required=False, allow_null=True)
    service = id_field(ConfigurationItem.objects.all(), required=False, allow_null=True)
    cis = id_field(ConfigurationItem.objects.all(), many=True, required=False)
    team = id_field(Team.objects.all(), required=False, allow_null=True)
    assignee = id_field(User.objects.all(), required=False, allow_null=True)
    problem_manager = id_field(User.objects.all(), required=False, allow_null=True)


class RcaSerializer(serializers.Serializer):
    rca_method = serializers.ChoiceField(choices=RcaMethod.choices, required=False, allow_blank=True, default="")
    rca_content = serializers.DictField(required=False, default=dict)
    root_cause = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True, default="")
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices, required=False, allow_blank=True,
                                             default="")


class ProblemTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ProblemState.choices)
    reason = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True,
                                   help_text=_("Required to cancel."))
    no_change_reason = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True,
                                             help_text=_("To resolve without a successfully closed change."))
    resolution_notes = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True)
    resolve_incidents = serializers.BooleanField(required=False, default=False)
    incident_note = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True,
                                          help_text=_("The public note the incidents' requesters read."))


class IncidentNumbersSerializer(serializers.Serializer):
    incidents = serializers.ListField(child=serializers.CharField(max_length=20), min_length=1,
                                      max_length=NUMBERS_MAX)


class LinkedIncidentsSerializer(serializers.Serializer):
    incidents = BriefTicketSerializer(many=True)


class KnownErrorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = SingleLineCharField(max_length=200)
    symptoms = serializers.CharField(max_length=MAX_BODY_CHARS)
    root_cause = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True)
    workaround = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True,
                                       help_text=_("Markdown; sanitised when shown."))
    workaround_html = serializers.CharField(read_only=True)
    workaround_public = serializers.BooleanField(required=False)
    status = serializers.CharField(required=False, max_length=10,
                                   help_text=_("active, or retired (the fix is deployed)."))
    problem = serializers.CharField(max_length=20, required=False, allow_null=True, allow_blank=True,
                                    help_text=_("Problem number."))
    category = id_field(Category.objects.all(), required=False, allow_null=True)
    cis = id_field(ConfigurationItem.objects.all(), many=True, required=False)
    services = id_field(ConfigurationItem.objects.all(), many=True, required=False)
    version = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    retired_at = serializers.DateTimeField(read_only=True, allow_null=True)


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    symptoms = serializers.CharField()
    workaround = serializers.CharField()
    workaround_public = serializers.BooleanField()
    problem = serializers.CharField(allow_null=True)
    score = serializers.FloatField()
    same_ci = serializers.BooleanField()
    same_service = serializers.BooleanField()
    same_category = serializers.BooleanField()


class SuggestionsSerializer(serializers.Serializer):
    incident = serializers.CharField()
    results = SuggestionSerializer(many=True)


class ApplySerializer(serializers.Serializer):
    incident = serializers.CharField(max_length=20)
    tell_requester = serializers.BooleanField(required=False, default=False)
    message = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True, default="")


class AppliedSerializer(serializers.Serializer):
    known_error = serializers.IntegerField()
    incident = serializers.CharField()
    applied_at = serializers.DateTimeField()
    told_requester = serializers.BooleanField()


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    reason = serializers.CharField(help_text=_("same_ci (the same configuration item) or similar_text."))
    ci = BriefCISerializer(allow_null=True)
    state = serializers.ChoiceField(choices=CandidateState.choices)
    incident_count = serializers.IntegerField()
    incidents = serializers.ListField(child=serializers.CharField())
    first_opened_at = serializers.DateTimeField(allow_null=True)
    last_opened_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    problem = serializers.CharField(allow_null=True)


class CandidateAcceptSerializer(serializers.Serializer):
    title = SingleLineCharField(max_length=200, required=False, allow_blank=True)
    problem_manager = id_field(User.objects.all(), required=False, allow_null=True)
