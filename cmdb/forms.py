"""Console forms of the CMDB: class-aware CI forms (one field per declared attribute), relating CIs, imports.

Forms only parse; the services check every rule and their errors are put back on the fields.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from esm.fields import SingleLineFormField
from esm.forms import ServiceErrorsMixin

from . import imports
from .attributes import AttributeDef, ClassCatalogue
from .choices import AttributeType, Criticality, Environment, LifecycleStatus
from .models import CIClass, ConfigurationItem, RelationshipType

BASE_FIELDS = ("name", "ci_class", "status", "environment", "criticality", "owner_team", "support_team", "location",
               "description", "source", "external_id", "asset_tag", "serial_number", "vendor", "model_name",
               "purchase_date", "purchase_cost", "warranty_end", "contract")
ASSET_FIELDS = ("asset_tag", "serial_number", "vendor", "model_name", "purchase_date", "purchase_cost",
                "warranty_end", "contract")
BOOLEAN_CHOICES = [("", "—"), ("true", _("Yes")), ("false", _("No"))]


def attribute_field(definition: AttributeDef) -> forms.Field:
    common = {"label": definition.name, "required": definition.required, "help_text": definition.help_text}
    if definition.choices:
        choices = [("", "—"), *[(str(c), str(c)) for c in definition.choices]]
        return forms.ChoiceField(choices=choices, **common)
    if definition.type == AttributeType.INTEGER:
        return forms.IntegerField(min_value=-(2**53) + 1, max_value=2**53 - 1, **common)
    if definition.type == AttributeType.DECIMAL:
        return forms.DecimalField(max_digits=20, decimal_places=6, **common)
    if definition.type == AttributeType.BOOLEAN:
        return forms.ChoiceField(choices=BOOLEAN_CHOICES, **common)
    if definition.type == AttributeType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.CharField(max_length=500, **common)


def _style(field: forms.Field) -> forms.Field:
    if not isinstance(field.widget, (forms.HiddenInput, forms.RadioSelect)):
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", f"{css} {css}-sm")
    return field


class CIForm(ServiceErrorsMixin, forms.Form):
    service_error_names_unknown = False
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31)
    name = SingleLineFormField(label=_("Name"), max_length=200)
    ci_class = forms.ModelChoiceField(label=_("Class"), queryset=CIClass.objects.order_by("name"))
    status = forms.ChoiceField(label=_("Lifecycle status"), choices=LifecycleStatus.choices,
                               initial=LifecycleStatus.IN_USE)
    environment = forms.ChoiceField(label=_("Environment"), choices=Environment.choices,
                                    initial=Environment.PRODUCTION)
    criticality = forms.TypedChoiceField(label=_("Criticality"), choices=Criticality.choices, coerce=int,
                                         initial=Criticality.MEDIUM)
    owner_team = forms.ModelChoiceField(label=_("Owner team"), queryset=Team.objects.filter(active=True),
                                        required=False)
    support_team = forms.ModelChoiceField(label=_("Support team"), queryset=Team.objects.filter(active=True),
                                          required=False)
    location = SingleLineFormField(label=_("Location"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=20000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    source = SingleLineFormField(label=_("Source"), max_length=60, required=False,
                             help_text=_("The system this record is imported from, if any."))
    external_id = SingleLineFormField(label=_("External id"), max_length=200, required=False)
    asset_tag = SingleLineFormField(label=_("Asset tag"), max_length=60, required=False)
    serial_number = SingleLineFormField(label=_("Serial number"), max_length=100, required=False)
    vendor = SingleLineFormField(label=_("Vendor"), max_length=100, required=False)
    model_name = SingleLineFormField(label=_("Model"), max_length=100, required=False)
    purchase_date = forms.DateField(label=_("Purchase date"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    purchase_cost = forms.DecimalField(label=_("Purchase cost"), required=False, max_digits=12, decimal_places=2,
                                       min_value=0)
    warranty_end = forms.DateField(label=_("Warranty end"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    contract = SingleLineFormField(label=_("Contract"), max_length=100, required=False)

    def __init__(self, *args, ci: ConfigurationItem | None = None, ci_class: CIClass | None = None,
                 catalogue: ClassCatalogue | None = None, **kwargs):
        self.ci = ci
        self.catalogue = catalogue or ClassCatalogue()
        if ci is not None and "initial" not in kwargs:
            initial = {name: getattr(ci, name) for name in BASE_FIELDS}
            initial.update(version=ci.version, ci_class=ci.ci_class_id, owner_team=ci.owner_team_id,
                           support_team=ci.support_team_id)
            for key, value in (ci.attributes or {}).items():
                initial[f"attr_{key}"] = ("true" if value else "false") if isinstance(value, bool) else value
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _style(field)
        chosen = ci_class or self._chosen_class()
        self.attribute_defs = self.catalogue.attributes_for(chosen.pk) if chosen else []
        for definition in self.attribute_defs:
            field = _style(attribute_field(definition))
            self.fields[f"attr_{definition.key}"] = field

    def _chosen_class(self) -> CIClass | None:
        raw = self.data.get(self.add_prefix("ci_class")) if self.is_bound else self.initial.get("ci_class")
        raw = getattr(raw, "pk", raw)
        if raw is not None and str(raw).isdigit() and len(str(raw)) < 18:
            return self.catalogue.classes.get(int(raw))
        return None

    @property
    def attribute_fields(self):
        return [self[f"attr_{d.key}"] for d in self.attribute_defs]

    @property
    def asset_fields(self):
        return [self[name] for name in ASSET_FIELDS]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in BASE_FIELDS}
        attributes = {}
        for definition in self.attribute_defs:
            value = data.get(f"attr_{definition.key}")
            if value in (None, ""):
                continue
            attributes[definition.key] = str(value) if definition.type == AttributeType.DECIMAL else value
        fields["attributes"] = attributes
        return fields

    def changes(self) -> dict:
        """The fields that differ from the CI being edited."""
        wanted = self.service_kwargs()
        return {name: value for name, value in wanted.items() if getattr(self.ci, name) != value}

    def add_service_errors(self, exc: ValidationError, *, skip=()) -> None:
        """Attribute errors (``exc.by_key``) go to their own inputs; the rest as on any form."""
        by_key = getattr(exc, "by_key", None) or {}
        for key, messages in by_key.items():
            target = f"attr_{key}" if f"attr_{key}" in self.fields else None
            for message in messages:
                self.add_error(target, f"{key}: {message}" if target is None else message)
        super().add_service_errors(exc, skip=("attributes",) if by_key else skip)


class RelateForm(forms.Form):
    """Relate the CI on the page to another: "this <type> other" or "other <type> this"."""

    DIRECTIONS = [("out", _("this CI → the other")), ("in", _("the other → this CI"))]

    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, initial="out",
                                  widget=forms.RadioSelect)
    type = forms.ModelChoiceField(label=_("Relationship"), queryset=RelationshipType.objects.order_by("name"),
                                  to_field_name="slug")
    other = forms.ModelChoiceField(label=_("Other configuration item"), queryset=ConfigurationItem.objects.all(),
                                   error_messages={"required": _("Choose a configuration item from the list.")})
    description = forms.CharField(label=_("Note"), max_length=300, required=False)


class ImportForm(ServiceErrorsMixin, forms.Form):
    """Upload for the console import: files are decoded and parsed here (``cmdb.imports``), checked by the service.

    Files are capped at UPLOAD_MAX_BYTES each: they stay in memory (FILE_UPLOAD_MAX_MEMORY_SIZE) and
    are kept until applied (``cmdb.import_views``). Larger loads belong to ``manage.py cmdb_import`` or the API.
    """

    UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    service_error_aliases = {imports.CIS: "cis_file"}
    service_error_names_unknown = False

    source = forms.CharField(label=_("Source"), max_length=60,
                             help_text=_("The system the rows come from, e.g. “discovery”. Rows are matched to CIs "
                                         "on source and external id."))
    cis_file = forms.FileField(label=_("Configuration items"), required=False,
                               widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json"}),
                               help_text=_("CSV with a header row, or JSON (rows, or an object with “cis” and "
                                           "“relationships”)."))
    relationships_file = forms.FileField(label=_("Relationships (optional)"), required=False,
                                         widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json"}),
                                         help_text=_("CSV with the columns source, type, target, or JSON."))
    skip_rejected = forms.BooleanField(label=_("Skip rejected rows"), required=False,
                                       widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
                                       help_text=_("Write the good rows and leave the rejected ones out. Otherwise "
                                                   "one rejected row stops the whole import."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field, forms.BooleanField):
                _style(field)
        self.files_read: list[tuple[str, str, str]] = []  # (kind, name, text), kept for applying
        self.cis: list = []
        self.relationships: list = []

    def _read(self, name: str, kind: str) -> None:
        upload = self.cleaned_data.get(name)
        if not upload:
            return
        if upload.size > self.UPLOAD_MAX_BYTES:
            self.add_error(name, _("The file is larger than %(mb)s MB. Import larger files with the command "
                                   "or the API.") % {"mb": self.UPLOAD_MAX_BYTES // (1024 * 1024)})
            return
        try:
            text, cis, relationships = imports.read_file(upload.name, upload.read(), kind=kind)
        except ValidationError as exc:
            self.add_error(name, exc)
            return
        # Shortened for the page, keeping the end: the extension says how the file is read again at apply.
        name = upload.name if len(upload.name) <= 200 else upload.name[:180] + "…" + upload.name[-19:]
        self.files_read.append((kind, name, text))
        self.cis += cis
        self.relationships += relationships

    def clean(self):
        data = super().clean()
        if not data.get("cis_file") and not data.get("relationships_file") \
                and "cis_file" not in self.errors and "relationships_file" not in self.errors:
            self.add_error("cis_file", _("Choose a file to import."))
            return data
        self._read("cis_file", imports.CIS)
        self._read("relationships_file", imports.RELATIONSHIPS)
        if not self.errors and not self.cis and not self.relationships:
            self.add_error(None, _("The files hold no rows to import."))
        return data

