"""API representations of people and teams, plus the small input helpers every API module shares."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation, Team, User
from esm.api import FieldErrorsSerializer

MAX_ID = 2**63 - 1  # bigint: larger ids cannot exist, so they are refused before reaching the database


def parse_id(raw) -> int | None:
    """An id from a URL, or None when it cannot be one (not digits, or beyond bigint)."""
    raw = str(raw)
    if not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def id_field(queryset, **kwargs) -> serializers.PrimaryKeyRelatedField:
    """A primary-key input that refuses floats, infinities and out-of-range numbers with a 400."""
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset, pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID), **kwargs
    )


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
