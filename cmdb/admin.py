"""Admin for the CMDB's configuration: CI classes, and configuration items for quick fixes."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F

from .attributes import validate_definition
from .models import CIAttribute, CIClass, ConfigurationItem, RelationshipType


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


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    list_display = ("name", "ci_class", "status", "environment", "criticality", "support_team")
    list_filter = ("ci_class", "status", "environment", "criticality", "support_team")
    list_select_related = ("ci_class", "support_team")
    search_fields = ("name",)
    autocomplete_fields = ("ci_class", "owner", "owner_team", "support_team")
    readonly_fields = ("version",)
    fields = ("name", "ci_class", "status", "environment", "criticality", "owner", "owner_team", "support_team",
              "description", "version")
    show_full_result_count = False  # the CMDB can hold 100,000s of CIs: don't count them twice per page

    def save_model(self, request, obj, form, change):
        # An admin edit is a change like any other: bump the version so API clients holding an
        # older ETag get a 412 instead of overwriting it.
        if change:
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        if change:
            obj.refresh_from_db(fields=["version"])
