"""API representations of calendars, SLA definitions, clocks and the compliance report.

Input serializers only parse; the services check the rules (docs/architecture.md, rule 1).
"""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation, Team
from cmdb.models import ConfigurationItem
from esm.fields import SingleLineModelSerializer
from servicedesk.choices import Priority, TicketKind
from servicedesk.models import Category

from ..choices import WEEKDAYS, AgreementType, DateKind, EscalationAction, Metric
from ..models import Calendar, CalendarDate, CalendarHours, EscalationRule, SlaDefinition, SlaTarget
from ..reports import DIMENSIONS

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
FIRST_YEAR, LAST_YEAR = 1900, 9998  # the report looks up to 36 months around them; date() stops at 9999


class WholeItemSerializer(SingleLineModelSerializer):
    """An item of a list that is always replaced whole (a calendar's hours, a definition's targets).

    In a PATCH DRF treats nested items as partial too, so ``{"targets": [{"seconds": 60}]}`` would
    pass without its metric. Each item is validated on its own, with every required field required;
    its errors keep their place in the list (``{"targets": [{"metric": ["This field is required."]}]}``).
    """

    def run_validation(self, data=serializers.empty):
        if self.root is not self and getattr(self.root, "partial", False):
            whole = type(self)(data=data, context=self.context)
            whole.is_valid(raise_exception=True)
            return whole.validated_data
        return super().run_validation(data)


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
                      "example": "09:00"})
class LocalTimeField(serializers.TimeField):
    """A local wall-clock time in the calendar's zone, "HH:MM" (not an RFC 3339 time: it has no offset)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        kwargs.setdefault("input_formats", ["%H:%M", "%H:%M:%S"])
        super().__init__(**kwargs)


class CalendarHoursSerializer(WholeItemSerializer):
    weekday = serializers.ChoiceField(choices=WEEKDAYS)
    start = LocalTimeField()
    end = LocalTimeField(help_text=_("At or before the start: the shift runs past midnight."))

    class Meta:
        model = CalendarHours
        fields = ["weekday", "start", "end"]


class CalendarDateSerializer(WholeItemSerializer):
    kind = serializers.ChoiceField(choices=DateKind.choices, default=DateKind.CLOSED)
    start = LocalTimeField(required=False, allow_null=True)
    end = LocalTimeField(required=False, allow_null=True)

    class Meta:
        model = CalendarDate
        fields = ["date", "kind", "start", "end", "note"]

    def validate(self, attrs):
        if attrs.get("kind") == DateKind.OPEN and (attrs.get("start") is None or attrs.get("end") is None):
            raise serializers.ValidationError({"start": [_("An extra working day needs its hours.")]})
        return attrs


class CalendarSerializer(SingleLineModelSerializer):
    hours = CalendarHoursSerializer(many=True, help_text=_("Weekly working intervals; an end at or before the "
                                                          "start runs past midnight, equal means 24 hours."))
    dates = CalendarDateSerializer(many=True, required=False,
                                   help_text=_("Closed dates and extra working days, beyond public holidays."))

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "holiday_country", "holiday_subdivision", "description", "hours",
                  "dates", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness is the database's (a 400 from full_clean)


class TargetSerializer(WholeItemSerializer):
    metric = serializers.ChoiceField(choices=Metric.choices)
    seconds = serializers.IntegerField(min_value=1, max_value=10 * 365 * 86400,
                                       help_text=_("Business seconds under the definition's calendar."))

    class Meta:
        model = SlaTarget
        fields = ["metric", "seconds"]


class EscalationRuleSerializer(serializers.ModelSerializer):
    action = serializers.ChoiceField(choices=EscalationAction.choices, read_only=True)
    metric = serializers.ChoiceField(choices=Metric.choices, allow_blank=True, read_only=True)

    class Meta:
        model = EscalationRule
        fields = ["id", "metric", "threshold", "action", "team", "active"]
        read_only_fields = fields


class DefinitionSerializer(SingleLineModelSerializer):
    type = serializers.ChoiceField(choices=AgreementType.choices, default=AgreementType.SLA)
    calendar = serializers.PrimaryKeyRelatedField(queryset=Calendar.objects.all())
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=TicketKind.choices), required=False,
                                  max_length=10, help_text=_("Empty: every kind."))
    priorities = serializers.ListField(child=serializers.ChoiceField(choices=Priority.choices), required=False,
                                       max_length=5, help_text=_("Empty: every priority."))
    services = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), many=True,
                                                  required=False)
    categories = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False)
    organisations = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), many=True,
                                                       required=False)
    teams = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), many=True, required=False,
                                               help_text=_("OLA: the teams whose time it measures."))
    pause_on = serializers.ListField(child=serializers.CharField(max_length=61), required=False, max_length=20,
                                     help_text=_("States that pause the clock: state or state:reason."))
    run_on = serializers.ListField(child=serializers.CharField(max_length=61), required=False, max_length=20,
                                   help_text=_("UC: the states it counts in."))
    warn_at = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=99), required=False,
                                    max_length=10, help_text=_("Warning thresholds in percent."))
    targets = TargetSerializer(many=True)
    escalations = EscalationRuleSerializer(many=True, read_only=True)

    class Meta:
        model = SlaDefinition
        fields = ["id", "name", "type", "order", "active", "description", "calendar", "kinds", "priorities",
                  "services", "categories", "organisations", "teams", "pause_on", "run_on", "warn_at", "targets",
                  "escalations", "updated_at"]
        read_only_fields = ["id", "updated_at", "escalations"]
        extra_kwargs = {"name": {"validators": []}}

    def validate_targets(self, value):
        metrics = [t["metric"] for t in value]
        if len(set(metrics)) != len(metrics):
            raise serializers.ValidationError(_("One target per metric."))
        return value


class PauseSerializer(serializers.Serializer):
    # The JSON keys of a stored pause ("from" is a Python keyword, so this serializer only documents them).
    state = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)


class ClockSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=AgreementType.choices)
    metric = serializers.ChoiceField(choices=Metric.choices)
    definition = serializers.CharField()
    team = serializers.CharField(allow_null=True, help_text=_("OLA: the team this clock measures."))
    # A plain string: an enum named "state" would collide with the incident states in the schema.
    state = serializers.CharField(help_text="running, paused or stopped")
    target_seconds = serializers.IntegerField()
    elapsed_seconds = serializers.IntegerField(help_text=_("Business seconds used, time in pausing states excluded."))
    remaining_seconds = serializers.IntegerField(help_text=_("Business seconds left; negative when overdue."))
    percent = serializers.IntegerField()
    colour = serializers.CharField(help_text=_(
        "How close to breach, from the agreement's warning thresholds: success, warning, orange (the last "
        "threshold passed), danger (breached); secondary while paused before any threshold."))
    due_at = serializers.DateTimeField(allow_null=True, help_text=_("Wall-clock due time while running."))
    breached = serializers.BooleanField()
    started_at = serializers.DateTimeField()
    stopped_at = serializers.DateTimeField(allow_null=True)
    paused_since = serializers.DateTimeField(allow_null=True)
    pauses = serializers.ListField(child=serializers.DictField(), help_text=_(
        "Pause history: objects with from, until (null while paused), state and reason."))


class ClockQuerySerializer(serializers.Serializer):
    ticket = serializers.RegexField(r"^[A-Za-z]{3}[0-9]{1,12}$", max_length=16,
                                    help_text=_("The ticket number, e.g. INC0001042."))


def month_in_range(value: str) -> str:
    if not re.fullmatch(MONTH_PATTERN, value):
        return value  # the field's pattern reports it
    if not FIRST_YEAR <= int(value[:4]) <= LAST_YEAR:
        raise serializers.ValidationError(_("A month between %(first)s-01 and %(last)s-12.")
                                          % {"first": FIRST_YEAR, "last": LAST_YEAR})
    return value


class ComplianceQuerySerializer(serializers.Serializer):
    start = serializers.RegexField(MONTH_PATTERN, required=False, validators=[month_in_range],
                                   help_text=_("First month, YYYY-MM."))
    end = serializers.RegexField(MONTH_PATTERN, required=False, validators=[month_in_range],
                                 help_text=_("Last month (included), YYYY-MM."))
    group_by = serializers.ChoiceField(choices=[(k, k) for k in DIMENSIONS], default="definition")
    type = serializers.ChoiceField(choices=AgreementType.choices, default=AgreementType.SLA)
    format = serializers.ChoiceField(choices=[("json", "JSON"), ("csv", "CSV")], default="json", required=False,
                                     help_text=_("csv for a CSV file."))


class ComplianceRowSerializer(serializers.Serializer):
    month = serializers.DateField()
    group = serializers.CharField()
    metric = serializers.ChoiceField(choices=Metric.choices)
    total = serializers.IntegerField()
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    open = serializers.IntegerField(help_text=_("Still running or paused, not breached yet."))
    percent_met = serializers.FloatField(allow_null=True)
    avg_seconds = serializers.FloatField(allow_null=True, help_text=_("Average business seconds (finished clocks)."))
    p90_seconds = serializers.FloatField(allow_null=True, help_text=_("90th percentile of business seconds."))


class ComplianceReportSerializer(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()
    group_by = serializers.CharField()
    type = serializers.CharField()
    rows = ComplianceRowSerializer(many=True)
