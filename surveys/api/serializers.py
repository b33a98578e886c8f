"""Serializers of the surveys API: results for managers, CSAT, policies, follow-up and the public answer."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from esm.api_bases import NamedRefSerializer, PersonRefSerializer

from ..models import SCORE_MAX, SCORE_MIN, Survey, SurveyFollowUp, SurveyPolicy
from ..services import MAX_COMMENT_CHARS


class TicketRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()


class SurveyResultSerializer(serializers.ModelSerializer):
    ticket = TicketRefSerializer()
    requester = PersonRefSerializer()
    team = NamedRefSerializer(allow_null=True)
    agent = PersonRefSerializer(allow_null=True)
    service = NamedRefSerializer(allow_null=True)
    low = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = ["id", "version", "ticket", "kind", "score", "low", "comment", "answered_at", "answer_updated_at",
                  "answered_via", "followup_state", "resolved_at", "invited_at", "requester", "team", "agent",
                  "service"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_low(self, survey) -> bool:
        return survey.is_low


class FollowUpSerializer(serializers.ModelSerializer):
    # Plain text in the schema: an enum named "state" would collide with the tickets' states.
    state = serializers.CharField(read_only=True, help_text="`contacted` or `closed`.")
    actor = PersonRefSerializer(read_only=True)

    class Meta:
        model = SurveyFollowUp
        fields = ["id", "state", "note", "actor", "at"]
        read_only_fields = fields


class SurveyDetailSerializer(SurveyResultSerializer):
    followups = FollowUpSerializer(many=True, read_only=True)

    class Meta(SurveyResultSerializer.Meta):
        fields = [*SurveyResultSerializer.Meta.fields, "followups"]
        read_only_fields = fields


class FollowUpInputSerializer(serializers.Serializer):
    state = serializers.CharField(max_length=10, help_text="`contacted` or `closed`.")
    note = serializers.CharField(max_length=MAX_COMMENT_CHARS)


class CsatRowSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month the answers were given in.")
    group_id = serializers.CharField(allow_null=True, help_text="Id of the team, agent or service, or the kind.")
    group = serializers.CharField()
    responses = serializers.IntegerField()
    satisfied = serializers.IntegerField(help_text="Answers scoring 4 or 5.")
    csat_percent = serializers.FloatField()
    average_score = serializers.FloatField()


class CsatTotalsSerializer(serializers.Serializer):
    responses = serializers.IntegerField()
    csat_percent = serializers.FloatField(allow_null=True)
    average_score = serializers.FloatField(allow_null=True)


class CsatSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="First day after the period.")
    group_by = serializers.CharField()
    totals = CsatTotalsSerializer()
    rows = CsatRowSerializer(many=True)


class PolicySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    active = serializers.BooleanField(required=False)
    delay_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 30, required=False)
    sample_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    expiry_days = serializers.IntegerField(min_value=1, max_value=90, required=False)
    comment_required_at_or_below = serializers.IntegerField(min_value=0, max_value=SCORE_MAX, required=False)

    class Meta:
        model = SurveyPolicy
        fields = ["kind", "version", "active", "delay_minutes", "sample_percent", "expiry_days",
                  "comment_required_at_or_below", "updated_at"]
        read_only_fields = ["kind", "version", "updated_at"]


# --- The public answer (signed link) ---------------------------------------------------------


class SurveyLinkSerializer(serializers.Serializer):
    """What the holder of a survey link may read: their ticket's number and title, and their answer."""

    ticket_number = serializers.CharField()
    ticket_title = serializers.CharField()
    open = serializers.BooleanField(help_text="Whether an answer (or a change of answer) is taken now.")
    score = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)
    editable_until = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    comment_required_at_or_below = serializers.IntegerField()


class SurveyAnswerSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500, help_text="The token of the e-mailed link.")
    score = serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX)
    comment = serializers.CharField(max_length=MAX_COMMENT_CHARS, required=False, allow_blank=True, default="")
