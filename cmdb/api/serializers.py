"""API representations of configuration items: business services and the brief form tickets embed."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.serializers import MAX_ID, BriefTeamSerializer, BriefUserSerializer
from cmdb.models import ConfigurationItem


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
