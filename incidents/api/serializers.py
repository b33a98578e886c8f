"""API representations of incidents (read) and the inputs of every incident write.

Reads embed brief related objects; writes take ids (and incident numbers for parent and merge).
Input serializers only parse: every rule is checked by the service the view calls.
"""

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import BriefTeamSerializer, BriefUserSerializer
from accounts.models import Team, User, display_name
from cmdb.api.serializers import BriefCISerializer, ci_ids_field, cis_from_ids
from cmdb.impact import affected_services, affected_services_cached
from cmdb.models import ConfigurationItem
from esm.api_bases import id_field
from esm.fields import SingleLineCharField
from servicedesk.api.serializers import BriefCategorySerializer
from servicedesk.choices import Priority
from servicedesk.models import Category, Ticket
from servicedesk.registry import ticket_panel
from servicedesk.rendering import MAX_BODY_CHARS

from ..choices import Channel, Impact, IncidentState, OnHoldReason, ResolutionCode, Urgency
from ..services import allowed_transitions
from ..workflow import INCIDENT_WORKFLOW

NUMBER_PATTERN = r"^[A-Za-z]{3}[0-9]{1,12}$"
# States a transition can lead to ("new" is only ever the start).
TARGET_CHOICES = [(state.value, state.label) for state in INCIDENT_WORKFLOW.states
                  if any(t.target == state.value for t in INCIDENT_WORKFLOW.transitions)]


def incident_url(request, number: str) -> str:
    path = reverse("incident-detail", kwargs={"number": number})
    return request.build_absolute_uri(path) if request else path


# --- Reads ----------------------------------------------------------------------------------


class IncidentBriefSerializer(serializers.ModelSerializer):
    """``?brief=1``: enough to show a row or a link."""

    state = serializers.ChoiceField(choices=IncidentState.choices, read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["number", "title", "state", "priority", "url"]
        read_only_fields = fields

    def get_url(self, ticket) -> str:
        return incident_url(self.context.get("request"), ticket.number)


class IncidentSerializer(IncidentBriefSerializer):
    """A list row: the ticket's columns and its incident fields, without per-row extra queries."""

    impact = serializers.ChoiceField(source="incident.impact", choices=Impact.choices, read_only=True)
    urgency = serializers.ChoiceField(source="incident.urgency", choices=Urgency.choices, read_only=True)
    channel = serializers.ChoiceField(source="incident.channel", choices=Channel.choices, read_only=True)
    major = serializers.BooleanField(source="incident.major", read_only=True)
    requester = BriefUserSerializer(read_only=True)
    team = BriefTeamSerializer(read_only=True, allow_null=True)
    assignee = BriefUserSerializer(read_only=True, allow_null=True)
    category = BriefCategorySerializer(read_only=True, allow_null=True)
    service = BriefCISerializer(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True, help_text=_("Send it back as If-Match to refuse stale writes."))

    class Meta(IncidentBriefSerializer.Meta):
        fields = ["number", "title", "state", "priority", "impact", "urgency", "channel", "major", "requester",
                  "team", "assignee", "category", "service", "opened_at", "updated_at", "resolved_at",
                  "closed_at", "version", "url"]
        read_only_fields = fields


# --- List rows, built directly ------------------------------------------------------------------
# A list page serialises 50 rows; model instances and DRF's field machinery (a deep copy of every
# nested field per request, a method call per field per row) cost more CPU than the query. These
# give exactly the documented serializers' output (tests/api/test_incidents.py compares them field
# by field) from the ``.values()`` rows of ``incident_rows_queryset``.

def _when(value, tz) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as "Z"."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class IncidentUrls:
    """Absolute incident URLs for a page: one ``reverse`` per request, not one per row."""

    MARK = "INC0"

    def __init__(self, request):
        self.template = incident_url(request, self.MARK)

    def __call__(self, number: str) -> str:
        return self.template.replace(self.MARK, number, 1)


class RowLookups:
    """The people, teams, categories and services of a page's rows, for the ids on the page, in one query.

    Joining the two people to the list query cost PostgreSQL more planning than this whole query.
    """

    def __init__(self, rows: list[dict]):
        self.people, self.teams, self.categories, self.services = {}, {}, {}, {}
        people = {row["requester_id"] for row in rows} | {row["assignee_id"] for row in rows}
        ids = [sorted(people - {None})] + [sorted({row[key] for row in rows} - {None})
                                          for key in ("team_id", "category_id", "service_id")]
        if not any(ids):
            return
        tables = [model._meta.db_table for model in (User, Team, Category, ConfigurationItem)]
        # Table names come from model metadata; the ids are bound.
        sql = (f'SELECT 0, id, username, first_name, last_name FROM "{tables[0]}" WHERE id = ANY(%s) '  # noqa: S608
               f'UNION ALL SELECT 1, id, name, NULL, NULL FROM "{tables[1]}" WHERE id = ANY(%s) '
               f'UNION ALL SELECT 2, id, name, parent_id::text, NULL FROM "{tables[2]}" WHERE id = ANY(%s) '
               f'UNION ALL SELECT 3, id, name, NULL, NULL FROM "{tables[3]}" WHERE id = ANY(%s)')
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            found = cursor.fetchall()
        for which, pk, name, second, third in found:
            if which == 0:
                self.people[pk] = {"id": pk, "username": name, "display_name": display_name(second, third, name)}
            elif which == 1:
                self.teams[pk] = {"id": pk, "name": name}
            elif which == 2:
                self.categories[pk] = {"id": pk, "name": name, "parent": int(second) if second else None}
            else:
                self.services[pk] = {"id": pk, "name": name}


def incident_brief_row(row: dict, urls: IncidentUrls) -> dict:
    return {"number": row["number"], "title": row["title"], "state": row["state"], "priority": row["priority"],
            "url": urls(row["number"])}


def incident_row(row: dict, urls: IncidentUrls, lookups: RowLookups, tz) -> dict:
    return {
        "number": row["number"], "title": row["title"], "state": row["state"], "priority": row["priority"],
        "impact": row["incident__impact"], "urgency": row["incident__urgency"],
        "channel": row["incident__channel"], "major": row["incident__major"],
        "requester": lookups.people.get(row["requester_id"]), "team": lookups.teams.get(row["team_id"]),
        "assignee": lookups.people.get(row["assignee_id"]), "category": lookups.categories.get(row["category_id"]),
        "service": lookups.services.get(row["service_id"]),
        "opened_at": _when(row["opened_at"], tz), "updated_at": _when(row["updated_at"], tz),
        "resolved_at": _when(row["resolved_at"], tz), "closed_at": _when(row["closed_at"], tz),
        "version": row["version"], "url": urls(row["number"]),
    }


class TransitionOptionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=TARGET_CHOICES, read_only=True)
    name = serializers.CharField(read_only=True, help_text=_("The verb, e.g. resolve, reopen, close."))
    label = serializers.CharField(read_only=True)
    requires = serializers.ListField(child=serializers.CharField(), read_only=True,
                                     help_text=_("Fields the transition request must include."))


class AffectedServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    criticality = serializers.IntegerField(read_only=True, help_text=_("1 (critical) to 4 (low)."))


class IncidentDetailSerializer(IncidentSerializer):
    description = serializers.CharField(read_only=True, help_text=_("Markdown."))
    on_hold_reason = serializers.ChoiceField(source="incident.on_hold_reason", choices=OnHoldReason.choices,
                                             allow_blank=True, read_only=True)
    resolution_code = serializers.ChoiceField(source="incident.resolution_code", choices=ResolutionCode.choices,
                                              allow_blank=True, read_only=True)
    resolution_notes = serializers.CharField(source="incident.resolution_notes", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True,
                                          help_text=_("Number of the parent incident."))
    children = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True,
                                            help_text=_("Numbers of the child incidents you can see."))
    merged_into = serializers.SlugRelatedField(source="incident.merged_into", slug_field="number", read_only=True,
                                               allow_null=True, help_text=_("The incident this one duplicated."))
    cis = BriefCISerializer(many=True, read_only=True)
    affected_services = serializers.SerializerMethodField(
        help_text=_("Business services endangered by the incident's service and CIs (CMDB impact analysis), "
                    "most critical first."))
    allowed_transitions = serializers.SerializerMethodField(help_text=_("The moves you may make now."))
    sla_clocks = serializers.SerializerMethodField(
        help_text=_("SLA, OLA and UC clocks, as GET /api/v1/sla/clocks/?ticket= returns them."))
    linked_changes = serializers.SerializerMethodField(
        help_text=_("Changes that address this incident or that caused it (desk staff only): number, title, "
                    "state, relation, change type, planned window and API address."))

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "description", "on_hold_reason", "resolution_code",
                  "resolution_notes", "parent", "children", "merged_into", "cis", "affected_services",
                  "allowed_transitions", "sla_clocks", "linked_changes"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_sla_clocks(self, ticket) -> list[dict]:
        # Filled in by the sla app through the extension registry: incidents never import sla.
        return ticket_panel("sla_clocks", [ticket], self.context.get("request")).get(ticket.pk, [])

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_linked_changes(self, ticket) -> list[dict]:
        return ticket_panel("linked_changes", [ticket], self.context.get("request")).get(ticket.pk, [])

    @extend_schema_field(AffectedServiceSerializer(many=True))
    def get_affected_services(self, ticket) -> list[dict]:
        ids = [ci.pk for ci in ticket.cis.all()] + ([ticket.service_id] if ticket.service_id else [])
        return [{"id": s.id, "name": s.name, "criticality": s.criticality} for s in affected_services(ids)]

    @extend_schema_field(TransitionOptionSerializer(many=True))
    def get_allowed_transitions(self, ticket) -> list[dict]:
        request = self.context["request"]
        options = [{"to": t.target, "name": t.name or t.target, "label": str(t.label), "requires": list(t.requires)}
                   for t in allowed_transitions(ticket=ticket, actor=request.user)]
        return TransitionOptionSerializer(options, many=True).data


# --- The detail, built directly -------------------------------------------------------------
# Like the list rows: exactly IncidentDetailSerializer's output (tests/api/test_incidents.py compares
# them), from the ticket row and servicedesk.detail.read_around's one query, without nested serializers.


def _person(user) -> dict | None:
    return {"id": user.pk, "username": user.username, "display_name": user.display_name} if user else None


def incident_detail_data(ticket: Ticket, request, urls: IncidentUrls | None = None) -> dict:
    """The API detail of ``ticket`` (read by ``ticket_row`` with its incident): a fixed number of queries."""
    from django.utils import timezone

    from servicedesk.detail import read_around

    incident = ticket.incident
    around = read_around(ticket, request.user, tickets=[incident.merged_into_id] if incident.merged_into_id else [],
                         children_limit=None)
    tz = timezone.get_current_timezone()
    merged_into = around.tickets.get(incident.merged_into_id) if incident.merged_into_id else None
    category = ticket.category
    ci_ids = [link.ci_id for link in around.ci_links] + ([ticket.service_id] if ticket.service_id else [])
    transitions = [{"to": t.target, "name": t.name or t.target, "label": str(t.label), "requires": list(t.requires)}
                   for t in allowed_transitions(ticket=ticket, actor=request.user)]
    return {
        "number": ticket.number, "title": ticket.title, "state": ticket.state, "priority": ticket.priority,
        "impact": incident.impact, "urgency": incident.urgency, "channel": incident.channel, "major": incident.major,
        "requester": _person(ticket.requester),
        "team": {"id": ticket.team.pk, "name": ticket.team.name} if ticket.team else None,
        "assignee": _person(ticket.assignee),
        "category": {"id": category.pk, "name": category.name, "parent": category.parent_id} if category else None,
        "service": {"id": ticket.service.pk, "name": ticket.service.name} if ticket.service else None,
        "opened_at": _when(ticket.opened_at, tz), "updated_at": _when(ticket.updated_at, tz),
        "resolved_at": _when(ticket.resolved_at, tz), "closed_at": _when(ticket.closed_at, tz),
        "version": ticket.version, "url": (urls or IncidentUrls(request))(ticket.number),
        "description": ticket.description, "on_hold_reason": incident.on_hold_reason,
        "resolution_code": incident.resolution_code, "resolution_notes": incident.resolution_notes,
        "parent": ticket.parent.number if ticket.parent else None,
        "children": [child.number for child in around.children],
        "merged_into": merged_into.number if merged_into else None,
        "cis": [{"id": link.ci_id, "name": link.ci.name} for link in around.ci_links],
        "affected_services": [{"id": s.id, "name": s.name, "criticality": s.criticality}
                              for s in affected_services_cached(ci_ids)],
        "allowed_transitions": transitions,
        "sla_clocks": ticket_panel("sla_clocks", [ticket], request).get(ticket.pk, []),
        "linked_changes": ticket_panel("linked_changes", [ticket], request).get(ticket.pk, []),
    }


class IncidentListItemSerializer(serializers.Serializer):
    """Schema-only: a list row is the full row, or the brief one with ``?brief=1``."""


class IncidentListItemExtension(OpenApiSerializerExtension):
    target_class = IncidentListItemSerializer

    def map_serializer(self, auto_schema, direction):
        return {"anyOf": [auto_schema.resolve_serializer(s, direction).ref
                          for s in (IncidentSerializer, IncidentBriefSerializer)]}


# --- Writes ---------------------------------------------------------------------------------


class IncidentWriteSerializer(serializers.Serializer):
    """Fields shared by create and update."""

    title = SingleLineCharField(max_length=200)
    description = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True, trim_whitespace=False,
                                        help_text=_("Markdown."))
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    channel = serializers.ChoiceField(choices=Channel.choices,
                                      help_text=_("How the incident reached the desk (agents only)."))
    category = id_field(Category.objects.all(), allow_null=True)
    service = id_field(ConfigurationItem.objects.all(), allow_null=True, help_text=_("A business service id."))
    team = id_field(Team.objects.all(), allow_null=True, help_text=_("Assignment group (agents only)."))
    assignee = id_field(User.objects.all(), allow_null=True,
                        help_text=_("A member of the team who works tickets (agents only)."))


class IncidentCreateSerializer(IncidentWriteSerializer):
    description = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True, trim_whitespace=False,
                                        default="", help_text=_("Markdown."))
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.LOW)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False,
                                      help_text=_("How the incident reached the desk (agents only; default api)."))
    category = id_field(Category.objects.all(), allow_null=True, required=False)
    service = id_field(ConfigurationItem.objects.all(), allow_null=True, required=False,
                       help_text=_("A business service id; routes the incident to its support team."))
    team = id_field(Team.objects.all(), allow_null=True, required=False,
                    help_text=_("Assignment group (agents only)."))
    assignee = id_field(User.objects.all(), allow_null=True, required=False,
                        help_text=_("A member of the team who works tickets (agents only)."))
    requester = id_field(User.objects.all(), required=False,
                         help_text=_("Who the incident is for (agents only; default: you)."))
    cis = ci_ids_field(required=False)

    def validate_cis(self, ids):
        return cis_from_ids(ids)


class IncidentUpdateSerializer(IncidentWriteSerializer):
    """PATCH body: any subset of the fields."""


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=TARGET_CHOICES, help_text=_("The target state."))
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices, allow_blank=True, default="",
                                              help_text=_("Required to resolve."))
    resolution_notes = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True, default="",
                                             help_text=_("Required to resolve."))
    on_hold_reason = serializers.ChoiceField(choices=OnHoldReason.choices, allow_blank=True, default="",
                                             help_text=_("Required to put on hold."))
    note = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True, default="",
                                 help_text=_("Optional public reply recorded with the move."))


class WatcherSerializer(serializers.Serializer):
    user = id_field(User.objects.all(), required=False, help_text=_("Who should watch; default: you."))


class AssignSerializer(serializers.Serializer):
    team = id_field(Team.objects.all(), allow_null=True, required=False)
    assignee = id_field(User.objects.all(), allow_null=True, required=False,
                        help_text=_("A member of the team; omit or null to leave it with the team."))
    to_me = serializers.BooleanField(default=False, help_text=_("Take the incident yourself (no team/assignee)."))

    def validate(self, attrs):
        if attrs["to_me"]:
            if "team" in attrs or "assignee" in attrs:
                raise serializers.ValidationError(
                    {"to_me": [_("Send either to_me or a team and assignee, not both.")]})
        elif "team" not in attrs:
            raise serializers.ValidationError({"team": [_("This field is required.")]})
        return attrs


class EscalateSerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=[("functional", _("Functional: to another team")),
                 ("hierarchical", _("Hierarchical: alert the team lead"))],
    )
    reason = serializers.CharField(max_length=2000)
    team = id_field(Team.objects.all(), allow_null=True, required=False,
                    help_text=_("The team to escalate to (functional escalation)."))


class MajorSerializer(serializers.Serializer):
    major = serializers.BooleanField(help_text=_("Declare (true) or stand down (false) a major incident."))


class ParentSerializer(serializers.Serializer):
    parent = serializers.RegexField(NUMBER_PATTERN, max_length=16, allow_null=True,
                                    help_text=_("Number of the parent incident, or null to unlink."))


class MergeSerializer(serializers.Serializer):
    into = serializers.RegexField(NUMBER_PATTERN, max_length=16,
                                  help_text=_("Number of the incident this one duplicates."))
