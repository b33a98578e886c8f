"""API representations of the CMDB: classes, CIs, relationships, impact, history, imports.

Reads embed brief related objects; writes take ids (and class / type keys). Input serializers only
parse: every rule (attributes against the class, no self-links …) is checked by the service.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import BriefTeamSerializer, BriefUserSerializer
from accounts.models import Team, User
from cmdb.choices import AttributeType, Criticality, Environment, ImpactDirection, LifecycleStatus
from cmdb.impact import DEFAULT_DEPTH, DEFAULT_NODE_LIMIT, MAX_DEPTH
from cmdb.models import CIClass, ConfigurationItem, RedundancyGroup, Relationship, RelationshipType
from esm.api_bases import MAX_ID, id_field
from esm.fields import SingleLineCharField


class BriefCISerializer(serializers.ModelSerializer):
    class Meta:
        model = ConfigurationItem
        fields = ["id", "name"]
        read_only_fields = fields


class ServiceSerializer(serializers.ModelSerializer):
    """A business service: a CI of the class ``business_service``."""

    owner = BriefUserSerializer(read_only=True, allow_null=True)
    owner_team = BriefTeamSerializer(read_only=True, allow_null=True)
    support_team = BriefTeamSerializer(read_only=True, allow_null=True,
                                       help_text=_("New incidents about this service go to this team."))

    class Meta:
        model = ConfigurationItem
        fields = ["id", "name", "description", "status", "criticality", "owner", "owner_team", "support_team"]
        read_only_fields = fields


def ci_ids_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=100,
        help_text=_("Ids of configuration items."), **kwargs,
    )


def cis_from_ids(ids: list[int]) -> list[ConfigurationItem]:
    """Load the CIs in one query; unknown ids are a field error."""
    found = ConfigurationItem.objects.in_bulk(set(ids))
    missing = sorted({i for i in ids if i not in found})
    if missing:
        raise serializers.ValidationError(_("No configuration item has the id %(ids)s.")
                                          % {"ids": ", ".join(map(str, missing))})
    return [found[i] for i in dict.fromkeys(ids)]


# --- Classes --------------------------------------------------------------------------------


class AttributeDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    type = serializers.ChoiceField(choices=AttributeType.choices, read_only=True)
    required = serializers.BooleanField(read_only=True)
    choices = serializers.ListField(child=serializers.JSONField(), read_only=True,
                                    help_text=_("Allowed values; empty allows any value of the type."))
    help_text = serializers.CharField(read_only=True)
    declared_by = serializers.CharField(read_only=True, help_text=_("Key of the class that declares it."))


class BriefClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = CIClass
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class CIClassSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    attributes = serializers.SerializerMethodField(
        help_text=_("Every attribute a CI of this class carries: its own and its ancestors'."))

    class Meta:
        model = CIClass
        fields = ["id", "slug", "name", "parent", "description", "attributes"]
        read_only_fields = fields

    @extend_schema_field(AttributeDefinitionSerializer(many=True))
    def get_attributes(self, ci_class) -> list[dict]:
        catalogue = self.context["catalogue"]
        return [{"key": d.key, "name": d.name, "type": d.type, "required": d.required, "choices": list(d.choices),
                 "help_text": d.help_text, "declared_by": catalogue.classes[d.class_id].slug}
                for d in catalogue.attributes_for(ci_class.pk)]


class RelationshipTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RelationshipType
        fields = ["id", "slug", "name", "reverse_name", "propagates_impact", "description"]
        read_only_fields = fields


# --- Configuration items --------------------------------------------------------------------

ASSET_FIELDS = ["asset_tag", "serial_number", "vendor", "model_name", "purchase_date", "purchase_cost",
                "warranty_end", "contract"]


class CISerializer(serializers.ModelSerializer):
    ci_class = BriefClassSerializer(read_only=True)
    owner = BriefUserSerializer(read_only=True, allow_null=True)
    owner_team = BriefTeamSerializer(read_only=True, allow_null=True)
    support_team = BriefTeamSerializer(read_only=True, allow_null=True)
    attributes = serializers.DictField(child=serializers.JSONField(), read_only=True)
    version = serializers.IntegerField(read_only=True, help_text=_("Send it back as If-Match to refuse stale writes."))

    class Meta:
        model = ConfigurationItem
        fields = ["id", "name", "ci_class", "status", "environment", "criticality", "owner", "owner_team",
                  "support_team", "location", "description", "attributes", "source", "external_id", "last_seen_at",
                  "stale_since", *ASSET_FIELDS, "version", "created_at", "updated_at"]
        read_only_fields = fields


class CIWriteSerializer(serializers.Serializer):
    """Fields a configuration manager sets. ``attributes`` replaces the whole set of values."""

    name = SingleLineCharField(max_length=200)
    ci_class = serializers.SlugRelatedField(slug_field="slug", queryset=CIClass.objects.all(),
                                            help_text=_("Class key, e.g. virtual_server."))
    status = serializers.ChoiceField(choices=LifecycleStatus.choices, required=False)
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    criticality = serializers.ChoiceField(choices=Criticality.choices, required=False)
    owner = id_field(User.objects.all(), allow_null=True, required=False)
    owner_team = id_field(Team.objects.all(), allow_null=True, required=False)
    support_team = id_field(Team.objects.all(), allow_null=True, required=False)
    location = SingleLineCharField(max_length=200, allow_blank=True, required=False)
    description = serializers.CharField(max_length=20000, allow_blank=True, required=False, trim_whitespace=False)
    attributes = serializers.DictField(child=serializers.JSONField(), required=False,
                                       help_text=_("Values of the attributes the class declares (see the class)."))
    source = SingleLineCharField(max_length=60, allow_blank=True, required=False)
    external_id = SingleLineCharField(max_length=200, allow_blank=True, required=False)
    asset_tag = SingleLineCharField(max_length=60, allow_blank=True, required=False)
    serial_number = SingleLineCharField(max_length=100, allow_blank=True, required=False)
    vendor = SingleLineCharField(max_length=100, allow_blank=True, required=False)
    model_name = SingleLineCharField(max_length=100, allow_blank=True, required=False)
    purchase_date = serializers.DateField(allow_null=True, required=False)
    purchase_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, allow_null=True,
                                             required=False)
    warranty_end = serializers.DateField(allow_null=True, required=False)
    contract = SingleLineCharField(max_length=100, allow_blank=True, required=False)


# --- Relationships --------------------------------------------------------------------------


class RelationshipSerializer(serializers.ModelSerializer):
    source = BriefCISerializer(read_only=True)
    target = BriefCISerializer(read_only=True)
    type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="type.name", read_only=True, help_text=_('"source <name> target".'))
    reverse_name = serializers.CharField(source="type.reverse_name", read_only=True)
    redundancy_group = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Relationship
        fields = ["id", "source", "type", "target", "name", "reverse_name", "redundancy_group", "description",
                  "import_source", "created_at"]
        read_only_fields = fields


class RelationshipCreateSerializer(serializers.Serializer):
    source = id_field(ConfigurationItem.objects.all())
    type = serializers.SlugRelatedField(slug_field="slug", queryset=RelationshipType.objects.all(),
                                        help_text=_("Relationship type key, e.g. runs_on."))
    target = id_field(ConfigurationItem.objects.all())
    redundancy_group = id_field(RedundancyGroup.objects.all(), allow_null=True, required=False)
    description = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class RelationshipUpdateSerializer(serializers.Serializer):
    redundancy_group = id_field(RedundancyGroup.objects.all(), allow_null=True)
    description = serializers.CharField(max_length=300, allow_blank=True, required=False)


class RedundancyGroupSerializer(serializers.ModelSerializer):
    ci = BriefCISerializer(read_only=True)
    members = serializers.SerializerMethodField(help_text=_("Ids of the relationships in the group."))

    class Meta:
        model = RedundancyGroup
        fields = ["id", "name", "ci", "min_up", "description", "members"]
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_members(self, group) -> list[int]:
        return [r.pk for r in group.relationships.all()]


class RedundancyGroupCreateSerializer(serializers.Serializer):
    ci = id_field(ConfigurationItem.objects.all())
    name = SingleLineCharField(max_length=120)
    min_up = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    relationships = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                          max_length=500, required=False, default=list,
                                          help_text=_("Ids of relationships of the CI to put in the group."))


# --- Impact ---------------------------------------------------------------------------------


class ImpactQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=ImpactDirection.choices, default=ImpactDirection.UPSTREAM)
    depth = serializers.IntegerField(min_value=1, max_value=MAX_DEPTH, default=DEFAULT_DEPTH)
    limit = serializers.IntegerField(min_value=1, max_value=10000, default=DEFAULT_NODE_LIMIT)


class ImpactNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    ci_class = serializers.CharField(source="class_slug", help_text=_("Class key."))
    class_name = serializers.CharField()
    status = serializers.ChoiceField(choices=LifecycleStatus.choices)
    environment = serializers.ChoiceField(choices=Environment.choices)
    criticality = serializers.IntegerField()
    depth = serializers.IntegerField(help_text=_("Relationships between the analysed CI and this one (0 = itself)."))
    parent = serializers.IntegerField(source="parent_id", allow_null=True,
                                      help_text=_("The previous node on one shortest path (null for the start)."))
    is_service = serializers.BooleanField()
    via_group = serializers.CharField(help_text=_("Set when impact reached it through a redundancy group that "
                                                  "lost too many members."))
    open_incidents = serializers.IntegerField()
    open_problems = serializers.IntegerField()
    open_changes = serializers.IntegerField()
    open_requests = serializers.IntegerField()


class ImpactSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=ImpactDirection.choices)
    depth = serializers.IntegerField()
    total = serializers.IntegerField(help_text=_("Nodes reached, including the start."))
    truncated = serializers.BooleanField(help_text=_("More nodes than `limit` were reached; services are always "
                                                     "all listed."))
    services = ImpactNodeSerializer(many=True, help_text=_("Business services among the nodes."))
    nodes = ImpactNodeSerializer(many=True)


# --- History --------------------------------------------------------------------------------


class HistoryEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="pgh_created_at")
    event = serializers.CharField(source="pgh_label", help_text=_("insert, update or delete."))
    model = serializers.CharField(source="pgh_obj_model", help_text=_("What changed, e.g. cmdb.Relationship."))
    object_id = serializers.CharField(source="pgh_obj_id", allow_null=True)
    changes = serializers.JSONField(source="pgh_diff", allow_null=True,
                                    help_text=_("Changed fields as {field: [before, after]}."))
    data = serializers.JSONField(source="pgh_data", help_text=_("The row after the change."))
    actor = serializers.SerializerMethodField(help_text=_("Who made the change, when known."))
    via = serializers.SerializerMethodField(help_text=_("The service, task or URL that made the change."))

    @extend_schema_field(BriefUserSerializer(allow_null=True))
    def get_actor(self, event) -> dict | None:
        context = event.pgh_context or {}
        user = self.context.get("users", {}).get(context.get("actor") or context.get("user"))
        return BriefUserSerializer(user).data if user else None

    def get_via(self, event) -> str:
        context = event.pgh_context or {}
        return str(context.get("service") or context.get("task") or context.get("url") or "")


# --- Imports --------------------------------------------------------------------------------


class ImportRequestSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=60, help_text=_("The system the rows come from; CIs are matched "
                                                              "on (source, external_id)."))
    dry_run = serializers.BooleanField(default=True, help_text=_("Report only; write nothing (the default)."))
    skip_rejected = serializers.BooleanField(
        default=False, help_text=_("Apply the good rows even when some are rejected. Otherwise one rejected row "
                                   "stops the whole import and nothing is written."))
    cis = serializers.ListField(child=serializers.DictField(), required=False, default=list, max_length=50000,
                                help_text=_("CI rows as objects (JSON import)."))
    relationships = serializers.ListField(child=serializers.DictField(), required=False, default=list,
                                          max_length=200000,
                                          help_text=_("Relationship rows: {source, type, target} external ids."))
    cis_csv = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                    help_text=_("CI rows as CSV text with a header row (CSV import)."))
    relationships_csv = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                              help_text=_("Relationship rows as CSV: source,type,target."))


class ImportRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("ci", "ci"), ("relationship", "relationship")])
    row = serializers.IntegerField(help_text=_("Row number in its list or file (1 = first data row)."))
    key = serializers.CharField(help_text=_("External id, or source>type>target for a relationship."))
    outcome = serializers.ChoiceField(choices=[(o, o) for o in ("created", "changed", "unchanged", "rejected")])
    changes = serializers.ListField(child=serializers.CharField(), help_text=_("Fields that change."))
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text=_("Why the row is rejected, per field."))


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField(help_text=_("Whether anything was written."))
    counts = serializers.DictField(child=serializers.IntegerField(),
                                   help_text=_("Rows per outcome: created, changed, unchanged, rejected."))
    rows = ImportRowSerializer(many=True, help_text=_("Rows that are created, changed or rejected (unchanged rows "
                                                      "are counted, not listed)."))
