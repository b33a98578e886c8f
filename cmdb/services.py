"""Every write to the CMDB goes through these functions (docs/architecture.md, rule 1).

Pages, API, admin actions, the import and the beat job call them. Each is atomic, keyword-only,
takes an explicit ``actor`` (``None`` for the system) that pghistory attaches to every audit row,
and raises domain errors: ``ValidationError`` (400), ``NotPermitted`` (403), ``StaleVersion``
(412) or ``DomainError`` (409).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from esm.errors import DomainError, StaleVersion
from esm.services import service
from esm.text import all_storable

from .attributes import ClassCatalogue, clean_attributes
from .choices import INACTIVE_STATUSES
from .models import CIClass, ConfigurationItem, RedundancyGroup, Relationship, RelationshipType
from .permissions import require_editor

# Fields a person (form, API, import) may set on a CI; everything else is kept by the services.
EDITABLE_FIELDS = (
    "name", "ci_class", "status", "environment", "criticality", "owner", "owner_team", "support_team",
    "location", "description", "attributes", "source", "external_id",
    "asset_tag", "serial_number", "vendor", "model_name", "purchase_date", "purchase_cost", "warranty_end", "contract",
)
FOREIGN_KEYS = ("ci_class", "owner", "owner_team", "support_team")


# --- Validation shared by create, update and import -----------------------------------------


def validate_ci(ci: ConfigurationItem, *, catalogue: ClassCatalogue | None = None, check_unique: bool = True) -> None:
    """Field checks, attribute values against the class, and the (source, external id) key.

    Cleans ``ci.attributes`` in place. Raises one ``ValidationError`` with every problem found.
    """
    errors: dict[str, list] = {}
    by_key = None
    ci.name = (ci.name or "").strip()
    for field in ci._meta.concrete_fields:
        value = getattr(ci, field.attname)
        if not all_storable(value):  # NUL or unpaired surrogates, attribute keys and values included
            errors.setdefault(field.name, []).append(_("Contains invalid characters."))
    if not ci.name:
        errors.setdefault("name", []).append(_("Give the configuration item a name."))
    try:
        ci.clean_fields(exclude=[*FOREIGN_KEYS, "attributes", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if ci.ci_class_id is None:
        errors.setdefault("ci_class", []).append(_("Choose a class."))
    elif "attributes" not in errors:
        catalogue = catalogue or ClassCatalogue()
        try:
            ci.attributes = clean_attributes(catalogue.attributes_for(ci.ci_class_id), ci.attributes)
        except ValidationError as exc:
            errors.setdefault("attributes", []).extend(exc.message_dict.get("attributes", exc.messages))
            by_key = getattr(exc, "by_key", None)
    if ci.external_id and not ci.source:
        errors.setdefault("source", []).append(_("An external id needs a source."))
    if check_unique and ci.external_id and ci.source and not {"external_id", "source"} & set(errors):
        clash = ConfigurationItem.objects.filter(source=ci.source, external_id=ci.external_id).exclude(pk=ci.pk)
        if clash.exists():
            errors.setdefault("external_id", []).append(
                _("Another configuration item from %(source)s has this external id.") % {"source": ci.source})
    if errors:
        error = ValidationError(errors)
        error.by_key = by_key  # forms and the API show attribute errors per attribute
        raise error


# --- Configuration items --------------------------------------------------------------------


@service
def ci_create(*, actor, ci_class: CIClass, name: str, **fields) -> ConfigurationItem:
    require_editor(actor)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"ci_create() got unexpected fields {sorted(unknown)}")
    ci = ConfigurationItem(ci_class=ci_class, name=name, **fields)
    if ci.source and ci.last_seen_at is None:
        ci.last_seen_at = timezone.now()
    validate_ci(ci)
    try:
        with transaction.atomic():
            ci.save(force_insert=True)
    except IntegrityError:  # a concurrent insert of the same (source, external id)
        raise ValidationError({"external_id": [_("Another configuration item from %(source)s has this external id.")
                                               % {"source": ci.source}]})
    return ci


def ci_lock(*, ci: ConfigurationItem, expected_version: int | None) -> ConfigurationItem:
    locked = ConfigurationItem.objects.select_for_update(of=("self",)).select_related("ci_class").get(pk=ci.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current_version=locked.version)
    return locked


@service
def ci_update(*, ci: ConfigurationItem, actor, expected_version: int | None = None, **changes) -> ConfigurationItem:
    """Change fields of a CI (``attributes`` replaces the whole set); refuses a stale version (412)."""
    require_editor(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"ci_update() got unexpected fields {sorted(unknown)}")
    ci = ci_lock(ci=ci, expected_version=expected_version)
    changed = []
    for name, value in changes.items():
        field = ConfigurationItem._meta.get_field(name)
        old = getattr(ci, field.attname if field.is_relation else name)
        new = value.pk if field.is_relation and value is not None else value
        setattr(ci, name, value)
        if old != new:
            changed.append(name)
    if "ci_class" in changed and "attributes" not in changes:
        changed.append("attributes")  # re-checked against the new class below
    if not changed:
        return ci
    validate_ci(ci, check_unique=bool({"source", "external_id"} & set(changed)))
    ci.version += 1
    ci.save(update_fields=[*dict.fromkeys(changed), "version", "updated_at"])
    return ci


@service
def ci_delete(*, ci: ConfigurationItem, actor, expected_version: int | None = None) -> None:
    """Delete a CI and its relationships; refused while tickets name it (retire it instead)."""
    require_editor(actor)
    ci = ci_lock(ci=ci, expected_version=expected_version)
    try:
        with transaction.atomic():
            ci.delete()
    except ProtectedError:
        raise DomainError(_("%(name)s is named on tickets and cannot be deleted; retire it instead.")
                          % {"name": ci.name}, code="ci_in_use")


# --- Relationships --------------------------------------------------------------------------


def _check_relationship(*, source: ConfigurationItem, target: ConfigurationItem, type: RelationshipType,
                        redundancy_group: RedundancyGroup | None, exclude_pk: int | None = None) -> None:
    errors = {}
    if source.pk == target.pk:
        errors["target"] = _("A configuration item cannot be related to itself.")
    elif Relationship.objects.filter(source=source, target=target, type=type).exclude(pk=exclude_pk).exists():
        errors["target"] = _("%(source)s already %(type)s %(target)s.") % {
            "source": source.name, "type": type.name, "target": target.name}
    if redundancy_group is not None and redundancy_group.ci_id != source.pk:
        errors["redundancy_group"] = _("The redundancy group belongs to another configuration item.")
    if errors:
        raise ValidationError(errors)


@service
def relationship_create(*, actor, source: ConfigurationItem, target: ConfigurationItem, type: RelationshipType,
                        redundancy_group: RedundancyGroup | None = None, description: str = "",
                        import_source: str = "") -> Relationship:
    """Relate two CIs ("source <type> target"). No self-links, no duplicates; cycles are allowed."""
    require_editor(actor)
    _check_relationship(source=source, target=target, type=type, redundancy_group=redundancy_group)
    if "\x00" in description or len(description) > 300:
        raise ValidationError({"description": _("Keep the note under 300 characters.")})
    try:
        with transaction.atomic():
            return Relationship.objects.create(source=source, target=target, type=type,
                                               redundancy_group=redundancy_group, description=description,
                                               import_source=import_source)
    except IntegrityError:  # a concurrent duplicate
        raise ValidationError({"target": _("This relationship already exists.")})


@service
def relationship_update(*, relationship: Relationship, actor,
                        redundancy_group: RedundancyGroup | None = None, description: str | None = None
                        ) -> Relationship:
    """Put a relationship in (or out of) a redundancy group, or change its note."""
    require_editor(actor)
    relationship = Relationship.objects.select_for_update().select_related("source", "target", "type").get(
        pk=relationship.pk)
    _check_relationship(source=relationship.source, target=relationship.target, type=relationship.type,
                        redundancy_group=redundancy_group, exclude_pk=relationship.pk)
    relationship.redundancy_group = redundancy_group
    if description is not None:
        relationship.description = description
    relationship.save(update_fields=["redundancy_group", "description", "updated_at"])
    return relationship


@service
def relationship_delete(*, relationship: Relationship, actor) -> None:
    require_editor(actor)
    Relationship.objects.filter(pk=relationship.pk).delete()


# --- Redundancy groups ----------------------------------------------------------------------


@service
def redundancy_group_create(*, actor, ci: ConfigurationItem, name: str, min_up: int = 1, description: str = "",
                            relationships=()) -> RedundancyGroup:
    """A group of ``ci``'s relationships of which ``min_up`` targets must stay up for ``ci`` to be unaffected."""
    require_editor(actor)
    name = (name or "").strip()
    errors = {}
    if not name or "\x00" in name or len(name) > 120:
        errors["name"] = _("Give the group a name (up to 120 characters).")
    elif RedundancyGroup.objects.filter(ci=ci, name=name).exists():
        errors["name"] = _("%(ci)s already has a group with this name.") % {"ci": ci.name}
    if not isinstance(min_up, int) or isinstance(min_up, bool) or not 1 <= min_up <= 1000:
        errors["min_up"] = _("Enter a number from 1 to 1000.")
    relationships = list(relationships)
    if any(r.source_id != ci.pk for r in relationships):
        errors["relationships"] = _("Only relationships of %(ci)s can be in its group.") % {"ci": ci.name}
    if errors:
        raise ValidationError(errors)
    group = RedundancyGroup.objects.create(ci=ci, name=name, min_up=min_up, description=description)
    if relationships:
        Relationship.objects.filter(pk__in=[r.pk for r in relationships]).update(redundancy_group=group)
    return group


@service
def redundancy_group_delete(*, group: RedundancyGroup, actor) -> None:
    require_editor(actor)
    group.delete()  # its relationships stay, outside any group


# --- Staleness ------------------------------------------------------------------------------


@service
def ci_flag_stale(*, actor=None, now: datetime | None = None, days: int | None = None) -> int:
    """Flag imported CIs not seen for ``days`` (settings.CMDB_STALE_DAYS); returns how many were flagged.

    Set-based and idempotent: a CI already flagged keeps its date; one seen again is cleared by the import.
    """
    now = now or timezone.now()
    days = settings.CMDB_STALE_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    return (ConfigurationItem.objects
            .filter(stale_since__isnull=True, last_seen_at__lt=cutoff)
            .exclude(source="").exclude(status__in=INACTIVE_STATUSES)
            .update(stale_since=now))


@service
def ci_clear_stale(*, ci: ConfigurationItem, actor) -> None:
    """A configuration manager has reviewed a stale CI and keeps it as it is."""
    require_editor(actor)
    ConfigurationItem.objects.filter(pk=ci.pk).update(stale_since=None, last_seen_at=timezone.now())
