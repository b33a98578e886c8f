"""API representations of people and teams."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation, Team, User
from esm.api import FieldErrorsSerializer


class BriefUserSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True, help_text=_("Full name, or the username when unset."))

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        read_only_fields = fields


class BriefTeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        read_only_fields = fields


class BriefOrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    organisation = BriefOrganisationSerializer(read_only=True, allow_null=True)
    is_agent = serializers.BooleanField(
        read_only=True, help_text=_("Whether this person works tickets (and so can be assigned incidents).")
    )
    language = serializers.ChoiceField(choices=User._meta.get_field("language").choices, allow_blank=True,
                                       read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "first_name", "last_name", "email", "organisation",
                  "is_agent", "time_zone", "language"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    lead = BriefUserSerializer(read_only=True, allow_null=True)
    members = serializers.SerializerMethodField(
        help_text=_("Ids of the team's members; null unless you work tickets.")
    )

    class Meta:
        model = Team
        fields = ["id", "name", "email", "description", "lead", "active", "members"]
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "integer"}, "nullable": True})
    def get_members(self, team) -> list[int] | None:
        if not self.context.get("show_members"):
            return None
        return sorted(member.pk for member in team.members.all())


class AuthTokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, write_only=True)
    password = serializers.CharField(max_length=4096, write_only=True, trim_whitespace=False,
                                     style={"input_type": "password"})


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text=_("Send it as `Authorization: Token <token>`."))



class FieldErrorsExtension(OpenApiSerializerExtension):
    """Describe 400 bodies as they are sent: any field name → messages (a dict for list items), or
    ``{"detail": "...", "code": "..."}`` when the body could not be parsed at all.

    ``esm.api.FieldErrorsSerializer`` declares a literal required ``field_name`` property, which no
    response has; this extension gives its component the true shape. It belongs in esm/api.py.
    """

    target_class = type(FieldErrorsSerializer)

    def get_name(self):
        return "FieldErrors"

    def map_serializer(self, auto_schema, direction):
        messages = {"type": "array", "items": {"type": "string"}}
        return {
            "type": "object",
            "description": 'Field name (or non_field_errors) → messages; `{"detail", "code"}` for unparseable bodies.',
            "additionalProperties": {"anyOf": [messages, {"type": "object"}, {"type": "string"}]},
        }
