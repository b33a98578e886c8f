"""Reads shared by the console pages and the API: lists, a CI's relationships both ways, its history."""

from django.db.models import QuerySet
from pghistory.models import Events

from .models import ConfigurationItem, Relationship

# Orderings offered by CI lists: each walks an index with keyset pagination (esm.pagination).
CI_ORDERINGS = {"name": ("name", "id"), "id": ("id",), "-id": ("-id",)}
DEFAULT_CI_ORDERING = "name"
HISTORY_ORDERINGS = {"-pgh_created_at": ("-pgh_created_at", "-pgh_slug")}
RELATIONSHIP_ORDERINGS = {"id": ("id",), "-id": ("-id",)}
STALE_ORDERINGS = {"stale_since": ("stale_since", "id")}

HISTORY_MODELS = ("cmdb.ConfigurationItemEvent", "cmdb.RelationshipEvent", "cmdb.RedundancyGroupEvent")


def ci_list_queryset() -> QuerySet:
    return ConfigurationItem.objects.select_related("ci_class", "support_team", "owner_team", "owner")


def ci_detail_queryset() -> QuerySet:
    return ConfigurationItem.objects.select_related("ci_class", "ci_class__parent", "support_team", "owner_team",
                                                    "owner")


def relationships_of(ci: ConfigurationItem) -> tuple[QuerySet, QuerySet]:
    """Outgoing ("this depends on …") and incoming ("… depends on this") relationships, with their ends."""
    related = ("type", "redundancy_group")
    outgoing = (Relationship.objects.filter(source=ci).select_related(*related, "target", "target__ci_class")
                .order_by("type__name", "target__name", "id"))
    incoming = (Relationship.objects.filter(target=ci).select_related(*related, "source", "source__ci_class")
                .order_by("type__name", "source__name", "id"))
    return outgoing, incoming


def relationship_list_queryset() -> QuerySet:
    return Relationship.objects.select_related("type", "source", "target", "redundancy_group")


def ci_history(ci: ConfigurationItem) -> QuerySet:
    """Audit events of the CI, its relationships and its redundancy groups (pghistory), newest first."""
    return Events.objects.across(*HISTORY_MODELS).references(ci).order_by("-pgh_created_at", "-pgh_slug")


def stale_cis() -> QuerySet:
    return ci_list_queryset().filter(stale_since__isnull=False)
