"""Admin for the CMDB's configuration: CI classes, and configuration items for quick fixes.

CI edits here go through ``cmdb.services`` like every other write (docs/architecture.md, rule 1).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from esm.errors import StaleVersion
from esm.forms import ServiceErrorsMixin
from esm.text import all_storable

from . import services
from .attributes import validate_definition
from .models import CIAttribute, CIClass, ConfigurationItem, RelationshipType
from .permissions import can_edit_cmdb

# What the admin edits: everything a person may set (services.EDITABLE_FIELDS).
ADMIN_FIELDS = services.EDITABLE_FIELDS


class CIAttributeForm(forms.ModelForm):
    class Meta:
        model = CIAttribute
        fields = ["key", "name", "type", "required", "choices", "help_text", "order"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                validate_definition(key=data.get("key", ""), type=data.get("type", ""),
                                    choices=data.get("choices") or [])
            except ValidationError as exc:
                raise ValidationError(exc.message_dict)
        return data


class CIAttributeInline(admin.TabularInline):
    """The attributes a class declares (its CIs also carry their ancestors' attributes)."""

    model = CIAttribute
    form = CIAttributeForm
    extra = 0


@admin.register(RelationshipType)
class RelationshipTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "reverse_name", "slug", "propagates_impact")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(CIClass)
class CIClassAdmin(admin.ModelAdmin):
    inlines = [CIAttributeInline]
    list_display = ("name", "slug", "parent")
    list_select_related = ("parent",)
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)


class StorableJSONField(forms.JSONField):
    """JSON whose strings PostgreSQL can store; anything else is shown back as typed, with an error.

    ``"\\ud800"`` is valid JSON but decodes to an unpaired surrogate, which can neither be saved
    nor written into the page that reports the error.
    """

    def to_python(self, value):
        converted = super().to_python(value)
        if not all_storable(converted):
            raise ValidationError(_("Contains invalid characters."), code="invalid")
        return converted

    def bound_data(self, data, initial):
        value = super().bound_data(data, initial)
        return value if all_storable(value) else InvalidJSONInput(data)


class ConfigurationItemAdminForm(ServiceErrorsMixin, forms.ModelForm):
    """Checks an admin edit as the services will, so their refusals come back as form errors.

    The admin validates the form, then saves (``save_model``), inside one transaction for a POST.
    ``clean`` locks the CI and checks the version the editor read and the values with the
    services' own validator; ``save_model`` then writes through ``ci_create`` / ``ci_update``,
    which run the same checks again under the lock already held.
    """

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31)

    class Meta:
        model = ConfigurationItem
        fields = ADMIN_FIELDS
        field_classes = {"attributes": StorableJSONField}
        help_texts = {"attributes": _("Values by attribute key, e.g. {\"os\": \"linux\", \"cpu_count\": 8}; "
                                      "checked against the class.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in ADMIN_FIELDS if name in self.cleaned_data}
        if fields.get("attributes") is None:
            fields["attributes"] = {}
        return fields

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        fields = self.service_fields()
        if self.instance.pk:
            try:
                candidate = services.ci_lock(ci=self.instance, expected_version=data.get("expected_version"))
            except StaleVersion:
                raise ValidationError(_("This configuration item was changed by someone else since you opened it. "
                                        "Nothing was saved: reload the page, check the current values and save "
                                        "again."))
            check_unique = any(getattr(candidate, n) != fields.get(n) for n in ("source", "external_id"))
        else:
            candidate, check_unique = ConfigurationItem(), True
        for name, value in fields.items():
            setattr(candidate, name, value)
        try:
            services.validate_ci(candidate, check_unique=check_unique)
        except ValidationError as exc:
            self.add_service_errors(exc)
        return data



@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    """Quick fixes to CIs; every write goes through ``cmdb.services`` (validation, version, history context)."""

    form = ConfigurationItemAdminForm
    list_display = ("name", "ci_class", "status", "environment", "criticality", "support_team")
    list_filter = ("ci_class", "status", "environment", "criticality", "support_team")
    list_select_related = ("ci_class", "support_team")
    search_fields = ("name",)
    autocomplete_fields = ("ci_class", "owner", "owner_team", "support_team")
    readonly_fields = ("version", "last_seen_at", "stale_since")
    fieldsets = (
        (None, {"fields": ("name", "ci_class", "status", "environment", "criticality", "owner", "owner_team",
                           "support_team", "location", "description", "attributes", "version",
                           "expected_version")}),
        (_("Import"), {"fields": ("source", "external_id", "last_seen_at", "stale_since")}),
        (_("Asset data"), {"classes": ["collapse"], "fields": ("asset_tag", "serial_number", "vendor", "model_name",
                                                                 "purchase_date", "purchase_cost", "warranty_end",
                                                                 "contract")}),
    )
    show_full_result_count = False  # the CMDB can hold 100,000s of CIs: don't count them twice per page

    # Only configuration managers and administrators change the CMDB, in the admin as anywhere else.
    def has_add_permission(self, request):
        return super().has_add_permission(request) and can_edit_cmdb(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_edit_cmdb(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_edit_cmdb(request.user)

    def save_model(self, request, obj, form, change):
        fields = form.service_fields()
        if change:
            services.ci_update(ci=obj, actor=request.user, expected_version=form.cleaned_data.get("expected_version"),
                               **fields)
        else:
            obj.pk = services.ci_create(actor=request.user, **fields).pk
            obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.ci_delete(ci=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        # The delete action confirms first and refuses CIs that tickets name, as ci_delete would.
        for ci in queryset:
            services.ci_delete(ci=ci, actor=request.user)
