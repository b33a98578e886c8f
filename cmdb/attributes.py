"""Attribute values checked against the attributes a CI's class declares (its own and its ancestors').

One validator for pages, API and imports: ``clean_attributes`` turns raw values (form strings, JSON
values, CSV cells) into canonical JSON values or raises ``AttributeErrors`` naming each bad key.
"""

import datetime
import decimal
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from esm.text import storable

from .choices import AttributeType
from .models import CIAttribute, CIClass

MAX_TEXT = 500
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
TRUE = {"1", "true", "yes", "on", "y"}
FALSE = {"0", "false", "no", "off", "n"}


class AttributeErrors(ValidationError):
    """Validation errors per attribute key; ``message_dict`` is ``{"attributes": ["key: message", …]}``."""

    def __init__(self, by_key: dict[str, list[str]]):
        self.by_key = by_key
        super().__init__({"attributes": [f"{key}: {message}" for key, messages in by_key.items()
                                         for message in messages]})


@dataclass(frozen=True)
class AttributeDef:
    key: str
    name: str
    type: str
    required: bool
    choices: tuple
    help_text: str
    class_id: int

    @classmethod
    def of(cls, attribute: CIAttribute) -> "AttributeDef":
        return cls(attribute.key, attribute.name, attribute.type, attribute.required,
                   tuple(attribute.choices or ()), attribute.help_text, attribute.ci_class_id)


class ClassCatalogue:
    """All classes and their effective attributes, loaded in two queries; used for one request or import."""

    def __init__(self):
        self.classes = {c.pk: c for c in CIClass.objects.all()}
        self.by_slug = {c.slug: c for c in self.classes.values()}
        own: dict[int, list[AttributeDef]] = {}
        for attribute in CIAttribute.objects.order_by("order", "key"):
            own.setdefault(attribute.ci_class_id, []).append(AttributeDef.of(attribute))
        self._own = own
        self._effective: dict[int, list[AttributeDef]] = {}

    def lineage(self, class_id: int) -> list[CIClass]:
        """The class and its ancestors, root first (cycle-safe)."""
        chain, seen = [], set()
        current = self.classes.get(class_id)
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            chain.append(current)
            current = self.classes.get(current.parent_id)
        return list(reversed(chain))

    def attributes_for(self, class_id: int) -> list[AttributeDef]:
        if class_id not in self._effective:
            merged: dict[str, AttributeDef] = {}
            for ci_class in self.lineage(class_id):  # a subclass may redeclare a key more strictly
                for definition in self._own.get(ci_class.pk, []):
                    merged[definition.key] = definition
            self._effective[class_id] = list(merged.values())
        return self._effective[class_id]

    def descendants(self, class_id: int) -> set[int]:
        """The class and every class below it."""
        result = {class_id}
        changed = True
        while changed:
            changed = False
            for c in self.classes.values():
                if c.parent_id in result and c.pk not in result:
                    result.add(c.pk)
                    changed = True
        return result

    def types_of_key(self, key: str) -> set[str]:
        return {d.type for defs in self._own.values() for d in defs if d.key == key}


def coerce_value(definition: AttributeDef, raw):
    """One raw value → its canonical JSON value; raises ValueError with a readable message."""
    kind = definition.type
    if isinstance(raw, str):
        raw = raw.strip()
        if not storable(raw):
            raise ValueError(_("Contains invalid characters."))
    if kind == AttributeType.TEXT:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise ValueError(_("Enter text."))
        value = str(raw)
        if len(value) > MAX_TEXT:
            raise ValueError(_("Keep it under %(n)s characters.") % {"n": MAX_TEXT})
    elif kind == AttributeType.INTEGER:
        if isinstance(raw, bool) or isinstance(raw, float) and not raw.is_integer():
            raise ValueError(_("Enter a whole number."))
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError(_("Enter a whole number."))
        if not -(2**53) < value < 2**53:
            raise ValueError(_("The number is too large."))
    elif kind == AttributeType.DECIMAL:
        if isinstance(raw, bool):
            raise ValueError(_("Enter a number."))
        try:
            number = decimal.Decimal(str(raw))
        except (decimal.InvalidOperation, ValueError):
            raise ValueError(_("Enter a number."))
        if not number.is_finite() or abs(number) >= 10**15:
            raise ValueError(_("Enter a number."))
        value = float(number) if number != number.to_integral_value() else int(number)
    elif kind == AttributeType.BOOLEAN:
        if isinstance(raw, bool):
            value = raw
        elif str(raw).lower() in TRUE:
            value = True
        elif str(raw).lower() in FALSE:
            value = False
        else:
            raise ValueError(_("Enter yes or no."))
    elif kind == AttributeType.DATE:
        if isinstance(raw, datetime.date):
            value = raw.isoformat()
        else:
            try:
                value = datetime.date.fromisoformat(str(raw)).isoformat()
            except ValueError:
                raise ValueError(_("Enter a date as YYYY-MM-DD."))
    else:  # pragma: no cover - the choices of CIAttribute.type
        raise ValueError(_("Unknown attribute type."))
    if definition.choices and value not in definition.choices:
        raise ValueError(_("Choose one of: %(values)s.") % {"values": ", ".join(map(str, definition.choices))})
    return value


def is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def clean_attributes(definitions: list[AttributeDef], values) -> dict:
    """Validate ``values`` against ``definitions``: unknown keys, required ones, types, allowed values."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"attributes": [_("Expected an object of attribute values.")]})
    known = {d.key: d for d in definitions}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key in values:
        if key not in known:
            errors[str(key)[:60]] = [_("This class has no such attribute.")]
    for key, definition in known.items():
        raw = values.get(key)
        if is_blank(raw):
            if definition.required:
                errors[key] = [_("This attribute is required.")]
            continue
        try:
            cleaned[key] = coerce_value(definition, raw)
        except ValueError as exc:
            errors[key] = [str(exc)]
    if errors:
        raise AttributeErrors(errors)
    return cleaned


def validate_definition(*, key: str, type: str, choices) -> None:
    """The checks an attribute declaration must pass (admin and data migrations)."""
    errors = {}
    if not KEY_RE.match(key or ""):
        errors["key"] = _("Use lower-case letters, digits and underscores, starting with a letter.")
    if type not in AttributeType.values:
        errors["type"] = _("Unknown attribute type.")
    if not isinstance(choices, list):
        errors["choices"] = _("Allowed values must be a list.")
    elif type in AttributeType.values and "key" not in errors:
        probe = AttributeDef(key, key, type, False, (), "", 0)
        for choice in choices:
            try:
                if coerce_value(probe, choice) != choice:
                    raise ValueError
            except ValueError:
                errors["choices"] = _("The allowed value %(value)r does not fit the type.") % {"value": choice}
                break
    if errors:
        raise ValidationError(errors)
