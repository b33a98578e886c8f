"""Bulk import of CIs and relationships (CSV or JSON), upserting on (source, external id).

One service, :func:`ci_import`, serves the management command ``cmdb_import`` and the API
(``POST /api/v1/cmdb/imports/``). It checks every row with the same rules as ``ci_create`` /
``ci_update`` (``services.validate_ci``: fields, attributes against the class) and reports each
row as created, changed, unchanged or rejected, with reasons. A dry run writes nothing. Applying
is atomic: by default one rejected row stops the whole import; with ``skip_rejected`` the good
rows are written and the bad ones are left out whole, never half-applied.

Writes are set-based (one ``bulk_create``, one ``bulk_update``, one ``UPDATE`` for sightings) so
10,000 rows take seconds, not minutes; pghistory's triggers still record every row, with the
actor, the source and the service name as context.

Row format (CSV header names = JSON keys): ``external_id``, ``name``, ``class`` (class key),
``status``, ``environment``, ``criticality`` (1-4), ``owner`` (username), ``owner_team`` and
``support_team`` (team names), ``location``, ``description``, asset fields, and attributes as
``attr.<key>`` columns (CSV) or an ``attributes`` object (JSON). A key left out keeps the current
value; an empty value clears it. Relationship rows: ``source``, ``type`` (type key), ``target``,
each end an external id of the same source.

Files are read here too (``decode_text``, ``parse_file``, ``parse_csv``), so the command, the API
and the console page accept exactly the same input.
"""

import copy
import csv
import datetime
import decimal
import hashlib
import io
import json
from dataclasses import dataclass, field

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from esm.text import all_storable, storable

from .attributes import ClassCatalogue
from .choices import Criticality
from .models import ConfigurationItem, Relationship, RelationshipType
from .permissions import require_editor
from .services import validate_ci

TEXT_FIELDS = ("name", "status", "environment", "location", "description", "asset_tag", "serial_number", "vendor",
               "model_name", "contract")
DATE_FIELDS = ("purchase_date", "warranty_end")
KNOWN_COLUMNS = {"external_id", "class", "criticality", "owner", "owner_team", "support_team", "purchase_cost",
                 "attributes", *TEXT_FIELDS, *DATE_FIELDS}
# Compared to decide "changed": everything an import can set.
COMPARED = (*TEXT_FIELDS, *DATE_FIELDS, "ci_class_id", "criticality", "owner_id", "owner_team_id", "support_team_id",
            "purchase_cost", "attributes")
MAX_ROWS = 50000


def change_column(name: str) -> str:
    """The column of a changed field as files name it (``ci_class_id`` → ``class``, ``owner_id`` → ``owner``)."""
    return "class" if name == "ci_class_id" else name.removesuffix("_id")


@dataclass
class RowResult:
    kind: str
    row: int
    key: str
    outcome: str
    changes: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ImportReport:
    dry_run: bool
    applied: bool
    rows: list[RowResult]
    # Set when applying was refused because the rows no longer check as they did (``expected_digest``).
    drifted: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = {"created": 0, "changed": 0, "unchanged": 0, "rejected": 0}
        for row in self.rows:
            counts[row.outcome] += 1
        return counts

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == "rejected"]

    @property
    def digest(self) -> str:
        """What the import would do, row by row (outcome, changed fields, rejected fields), as a short hash.

        Messages are left out: they depend on the reader's language, the outcome does not.
        """
        summary = [(r.kind, r.row, r.key, r.outcome, r.changes, sorted(r.errors)) for r in self.rows]
        return hashlib.sha256(json.dumps(summary).encode()).hexdigest()[:32]


# --- Parsing --------------------------------------------------------------------------------

CIS, RELATIONSHIPS = "cis", "relationships"
RELATIONSHIP_COLUMNS = ("source", "type", "target")
FILE_TYPES = (".csv", ".json")


def decode_text(content: bytes) -> str:
    """A file's bytes → text. UTF-8 only (with or without a BOM): guessing legacy encodings garbles names."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text. Save it as “CSV UTF-8” (or JSON in UTF-8) and "
                                "upload it again."), code="encoding")
    if "\x00" in text:
        raise ValidationError(_("The file contains invalid characters."), code="encoding")
    return text


def _check_header(columns: list, kind: str) -> None:
    names = [(c or "").strip() for c in columns]
    if not any(names):
        raise ValidationError(_("The file is empty: the first line must name the columns."), code="header")
    if "" in names:
        raise ValidationError(_("Column %(n)s of the header has no name.") % {"n": names.index("") + 1},
                              code="header")
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise ValidationError(_("The header names these columns twice: %(names)s.")
                              % {"names": ", ".join(doubled)[:200]}, code="header")
    required = ("external_id",) if kind == CIS else RELATIONSHIP_COLUMNS
    missing = [n for n in required if n not in names]
    if missing:
        raise ValidationError(_("The header needs the columns %(names)s.") % {"names": ", ".join(missing)},
                              code="header")
    if kind == CIS:
        unknown = [n for n in names if n not in KNOWN_COLUMNS - {"attributes"}
                   and not (n.startswith("attr.") and len(n) > 5)]
        if unknown:
            raise ValidationError(_("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)[:200]},
                                  code="header")


def parse_csv(text: str, *, kind: str = CIS) -> list[dict]:
    """CSV with a header row → dicts; ``attr.<key>`` columns become the ``attributes`` object.

    The header is checked first (``kind`` is CIS or RELATIONSHIPS): a file with a wrong header is
    refused whole rather than every row being rejected for the same reason.
    """
    if "\x00" in text:
        raise ValidationError(_("The file contains invalid characters."), code="encoding")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        _check_header(reader.fieldnames or [], kind)  # reads the first line
        rows = []
        for raw in reader:
            row, attributes = {}, {}
            for column, value in raw.items():
                if column is None:  # more cells than headers
                    row["__extra__"] = value
                    continue
                column = column.strip()
                if column.startswith("attr."):
                    attributes[column[5:]] = value
                else:
                    row[column] = value
            if attributes:
                row["attributes"] = attributes
            rows.append(row)
    except csv.Error:  # the line being read is not yet counted
        raise ValidationError(_("The file is not valid CSV (line %(line)s).") % {"line": reader.line_num + 1},
                              code="csv")
    return rows


def _file_type(name: str) -> str:
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in FILE_TYPES:
        raise ValidationError(_("Upload a .csv or .json file."), code="file_type")
    return suffix


def read_file(name: str, content: bytes, *, kind: str = CIS) -> tuple[str, list, list]:
    """A file as uploaded → (its text, CI rows, relationship rows); the type is checked before the content."""
    _file_type(name)
    text = decode_text(content)
    return (text, *parse_file(name, text, kind=kind))


def parse_file(name: str, text: str, *, kind: str = CIS) -> tuple[list, list]:
    """One file → (CI rows, relationship rows), by its extension.

    A CSV file holds rows of ``kind``; a JSON file either a list of rows of ``kind`` or an object
    with ``cis`` and/or ``relationships`` lists.
    """
    if _file_type(name) == ".csv":
        rows = parse_csv(text, kind=kind)
        return (rows, []) if kind == CIS else ([], rows)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(_("The file is not valid JSON (line %(line)s, column %(column)s).")
                              % {"line": exc.lineno, "column": exc.colno}, code="json")
    except (ValueError, RecursionError):  # over-long numbers, absurd nesting
        raise ValidationError(_("The file is not valid JSON."), code="json")
    if not all_storable(data):  # "\u0000" or an unpaired "\ud800" escape
        raise ValidationError(_("The file contains invalid characters."), code="encoding")
    if isinstance(data, list):
        return (data, []) if kind == CIS else ([], data)
    if isinstance(data, dict) and set(data) <= {CIS, RELATIONSHIPS}:
        cis, relationships = data.get(CIS) or [], data.get(RELATIONSHIPS) or []
        if isinstance(cis, list) and isinstance(relationships, list):
            return cis, relationships
    raise ValidationError(_("Expected a list of rows, or an object with “cis” and “relationships” lists."),
                          code="json")


# --- Checking rows --------------------------------------------------------------------------


class Lookups:
    """Everything rows refer to, loaded once per import."""

    def __init__(self, rows: list[dict]):
        self.catalogue = ClassCatalogue()
        self.teams = {t.name.casefold(): t for t in Team.objects.all()}
        usernames = {str(r["owner"]).strip() for r in rows if isinstance(r, dict) and r.get("owner")}
        self.users = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)} \
            if usernames else {}
        self.types = {t.slug: t for t in RelationshipType.objects.all()}


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _apply_row(ci: ConfigurationItem, row: dict, lookups: Lookups) -> dict[str, list[str]]:
    """Set the row's values on ``ci``; return conversion errors per field."""
    errors: dict[str, list[str]] = {}
    if "__extra__" in row:
        errors["row"] = [_("This row has more cells than the header has columns.")]
    unknown = sorted(k for k in row if k not in KNOWN_COLUMNS and k != "__extra__")
    if unknown:
        errors["row"] = [_("Unknown columns: %(names)s.") % {"names": ", ".join(map(str, unknown))[:200]}]
    for name in TEXT_FIELDS:
        if name in row:
            setattr(ci, name, _text(row[name]))
    if "class" in row:
        ci_class = lookups.catalogue.by_slug.get(_text(row["class"]))
        if ci_class is None:
            errors["class"] = [_("No class has the key “%(key)s”.") % {"key": _text(row["class"])[:60]}]
        else:
            ci.ci_class = ci_class
    if "criticality" in row:
        raw = _text(row["criticality"])
        if not raw:
            ci.criticality = Criticality.MEDIUM
        elif raw.isdigit() and int(raw) in Criticality.values:
            ci.criticality = int(raw)
        else:
            errors["criticality"] = [_("Enter 1, 2, 3 or 4.")]
    for name, model in (("owner_team", lookups.teams), ("support_team", lookups.teams), ("owner", lookups.users)):
        if name in row:
            raw = _text(row[name])
            found = model.get(raw.casefold() if name != "owner" else raw) if raw else None
            if raw and found is None:
                errors[name] = [_("Unknown: “%(value)s”.") % {"value": raw[:100]}]
            else:
                setattr(ci, name, found)
    for name in DATE_FIELDS:
        if name in row:
            raw = _text(row[name])
            try:
                setattr(ci, name, datetime.date.fromisoformat(raw) if raw else None)
            except ValueError:
                errors[name] = [_("Enter a date as YYYY-MM-DD.")]
    if "purchase_cost" in row:
        raw = _text(row["purchase_cost"])
        try:
            ci.purchase_cost = decimal.Decimal(raw).quantize(decimal.Decimal("0.01")) if raw else None
        except (decimal.InvalidOperation, ValueError):
            errors["purchase_cost"] = [_("Enter an amount.")]
    if "attributes" in row:
        given = row["attributes"]
        if not isinstance(given, dict):
            errors["attributes"] = [_("Expected an object of attribute values.")]
        else:
            merged = dict(ci.attributes or {})
            for key, value in given.items():
                if value is None or (isinstance(value, str) and not value.strip()):
                    merged.pop(key, None)
                else:
                    merged[key] = value
            ci.attributes = merged
    return errors


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    return {"row": [str(m) for m in exc.messages]}


def _changed_fields(before: ConfigurationItem, after: ConfigurationItem) -> list[str]:
    return [name for name in COMPARED if getattr(before, name) != getattr(after, name)]


# --- The service ----------------------------------------------------------------------------


def ci_import(*, actor, source: str, cis: list[dict] = (), relationships: list[dict] = (), dry_run: bool = True,
              skip_rejected: bool = False, expected_digest: str = "") -> ImportReport:
    """Check, and unless ``dry_run`` apply, an import from ``source``. See the module docstring.

    ``expected_digest`` (the ``digest`` of an earlier dry run) makes applying conditional: when the
    rows no longer check the same way — someone changed those CIs in between — nothing is written
    and the report comes back with ``drifted`` set.
    """
    require_editor(actor)
    source = _text(source)
    if not source or len(source) > 60 or not storable(source):
        raise ValidationError({"source": [_("Name the source of the rows (up to 60 characters).")]})
    cis, relationships = list(cis), list(relationships)
    for name, rows in ((CIS, cis), (RELATIONSHIPS, relationships)):
        if not all_storable(rows):  # rows from the API's JSON: NUL or unpaired surrogates would reach SQL
            raise ValidationError({name: [_("Contains invalid characters.")]})
    if len(cis) > MAX_ROWS:
        raise ValidationError({"cis": [_("Import at most %(n)s CIs at a time.") % {"n": MAX_ROWS}]})
    if len(relationships) > 4 * MAX_ROWS:
        raise ValidationError({"relationships": [_("Import at most %(n)s relationships at a time.")
                                                 % {"n": 4 * MAX_ROWS}]})
    with transaction.atomic(), pghistory.context(actor=getattr(actor, "pk", None), service="ci_import",
                                                 import_source=source):
        report, plan = _check(source, cis, relationships, lock=not dry_run)
        if not dry_run and expected_digest and report.digest != expected_digest:
            report.drifted = True
            return report
        if dry_run or (report.rejected and not skip_rejected):
            return report
        _write(source, plan)
        report.applied = True
        return report


@dataclass
class Plan:
    create: list[ConfigurationItem] = field(default_factory=list)
    update: list[tuple[ConfigurationItem, list[str]]] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)
    relate: list[tuple[str, RelationshipType, str]] = field(default_factory=list)
    by_key: dict[str, ConfigurationItem] = field(default_factory=dict)
    stored_ends: dict[str, ConfigurationItem] = field(default_factory=dict)


def _check(source: str, cis: list[dict], relationships: list[dict], *, lock: bool) -> tuple[ImportReport, Plan]:
    report = ImportReport(dry_run=not lock, applied=False, rows=[])
    plan = Plan()
    lookups = Lookups(cis)
    keys = {_text(r.get("external_id")) for r in cis if isinstance(r, dict)} - {""}
    existing_qs = ConfigurationItem.objects.filter(source=source, external_id__in=keys)
    if lock:
        existing_qs = existing_qs.select_for_update()
    existing = {ci.external_id: ci for ci in existing_qs}
    seen_keys: set[str] = set()
    for number, row in enumerate(cis, start=1):
        if not isinstance(row, dict):
            report.rows.append(RowResult("ci", number, "", "rejected", errors={"row": [_("Expected an object.")]}))
            continue
        key = _text(row.get("external_id"))
        if not key:
            report.rows.append(RowResult("ci", number, "", "rejected",
                                         errors={"external_id": [_("Every row needs an external id.")]}))
            continue
        if key in seen_keys:
            report.rows.append(RowResult("ci", number, key, "rejected",
                                         errors={"external_id": [_("This external id appears twice.")]}))
            continue
        seen_keys.add(key)
        before = existing.get(key)
        ci = copy.copy(before) if before else ConfigurationItem(source=source, external_id=key)
        if before:
            ci.attributes = dict(before.attributes or {})
        errors = _apply_row(ci, {k: v for k, v in row.items() if k != "external_id"}, lookups)
        if before is None:
            for required in ("name", "class"):
                if required not in row and required not in errors:
                    errors[required] = [_("Required for a new configuration item.")]
        if not errors:
            try:
                validate_ci(ci, catalogue=lookups.catalogue, check_unique=False)
            except ValidationError as exc:
                errors = _messages(exc)
        if errors:
            report.rows.append(RowResult("ci", number, key, "rejected", errors=errors))
            continue
        plan.by_key[key] = ci
        if before is None:
            plan.create.append(ci)
            report.rows.append(RowResult("ci", number, key, "created"))
        else:
            changed = _changed_fields(before, ci)
            if changed:
                plan.update.append((ci, changed))
                report.rows.append(RowResult("ci", number, key, "changed", changes=changed))
            else:
                plan.seen.append(ci.pk)
                report.rows.append(RowResult("ci", number, key, "unchanged"))
    _check_relationships(source, relationships, lookups, report, plan)
    return report, plan


def _check_relationships(source: str, rows: list[dict], lookups: Lookups, report: ImportReport, plan: Plan) -> None:
    rejected_keys = {r.key for r in report.rows if r.kind == "ci" and r.outcome == "rejected"} - set(plan.by_key)
    wanted = {_text(r.get(end)) for r in rows if isinstance(r, dict) for end in ("source", "target")}
    stored = {ci.external_id: ci for ci in ConfigurationItem.objects.filter(
        source=source, external_id__in=wanted - set(plan.by_key)).only("id", "external_id", "source")}
    known_pairs = {}
    ids = [ci.pk for ci in stored.values()] + [ci.pk for ci in plan.by_key.values() if ci.pk]
    if ids:
        known_pairs = {(s, t, ty) for s, t, ty in Relationship.objects.filter(source_id__in=ids)
                       .values_list("source_id", "target_id", "type_id")}
    seen = set()
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            report.rows.append(RowResult("relationship", number, "", "rejected",
                                         errors={"row": [_("Expected an object.")]}))
            continue
        ends = {end: _text(row.get(end)) for end in ("source", "target")}
        type_key = _text(row.get("type"))
        key = f"{ends['source']}>{type_key}>{ends['target']}"
        errors: dict[str, list[str]] = {}
        rel_type = lookups.types.get(type_key)
        if rel_type is None:
            errors["type"] = [_("No relationship type has the key “%(key)s”.") % {"key": type_key[:60]}]
        resolved = {}
        for end, ext in ends.items():
            if not ext:
                errors[end] = [_("Required.")]
            elif ext in rejected_keys:
                errors[end] = [_("That configuration item's row is rejected.")]
            elif ext in plan.by_key:
                resolved[end] = plan.by_key[ext]
            elif ext in stored:
                resolved[end] = stored[ext]
            else:
                errors[end] = [_("No configuration item from %(source)s has the external id “%(id)s”.")
                               % {"source": source, "id": ext[:100]}]
        if not errors and ends["source"] == ends["target"]:
            errors["target"] = [_("A configuration item cannot be related to itself.")]
        if not errors and key in seen:
            errors["row"] = [_("This relationship appears twice.")]
        if errors:
            report.rows.append(RowResult("relationship", number, key, "rejected", errors=errors))
            continue
        seen.add(key)
        s, t = resolved["source"], resolved["target"]
        if s.pk and t.pk and (s.pk, t.pk, rel_type.pk) in known_pairs:
            report.rows.append(RowResult("relationship", number, key, "unchanged"))
        else:
            plan.relate.append((ends["source"], rel_type, ends["target"]))
            report.rows.append(RowResult("relationship", number, key, "created"))
    plan.stored_ends = stored


def _write(source: str, plan: Plan) -> None:
    from .impact import cmdb_changed

    cmdb_changed()  # set-based writes send no signals: cached impact answers must follow anyway
    now = timezone.now()
    for ci in plan.create:
        ci.last_seen_at = now
    ConfigurationItem.objects.bulk_create(plan.create, batch_size=2000)
    if plan.update:
        fields = sorted({name.removesuffix("_id") for _ci, changed in plan.update for name in changed})
        for ci, _changed in plan.update:
            ci.version += 1
            ci.last_seen_at = now
            ci.stale_since = None
            ci.updated_at = now
        ConfigurationItem.objects.bulk_update([ci for ci, _c in plan.update],
                                              [*fields, "version", "last_seen_at", "stale_since", "updated_at"],
                                              batch_size=1000)
    if plan.seen:
        ConfigurationItem.objects.filter(pk__in=plan.seen).update(last_seen_at=now)
        ConfigurationItem.objects.filter(pk__in=plan.seen, stale_since__isnull=False).update(stale_since=None)
    ends = {**plan.stored_ends, **plan.by_key}
    Relationship.objects.bulk_create(
        [Relationship(source=ends[s], type=t, target=ends[g], import_source=source) for s, t, g in plan.relate],
        batch_size=5000, ignore_conflicts=True,  # a concurrent import of the same link is not an error
    )
