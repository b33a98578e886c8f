"""Admin: read-only views of the catalog and of what was ordered.

Catalog managers keep categories, items, forms, task templates and approval rules in the console
editor (/desk/catalog/) and the API, which go through ``catalog.services``; the admin shows them,
so nothing bypasses the services' checks (published forms never change, no dependency cycles).
"""

from django.contrib import admin

from servicedesk.admin import ReadOnlyAdmin

from .models import (
    ApprovalRule,
    CatalogCategory,
    CatalogItem,
    FormVersion,
    FulfilmentTask,
    Question,
    RequestedItem,
    ServiceRequest,
    TaskTemplate,
)


@admin.register(CatalogCategory)
class CatalogCategoryAdmin(ReadOnlyAdmin):
    list_display = ("name", "parent", "position", "active")
    list_filter = ("active",)
    list_select_related = ("parent",)
    search_fields = ("name",)


@admin.register(CatalogItem)
class CatalogItemAdmin(ReadOnlyAdmin):
    list_display = ("name", "category", "state", "audience", "fulfilment_team", "price", "currency", "current_form")
    list_filter = ("state", "audience", "category")
    list_select_related = ("category", "fulfilment_team", "current_form")
    search_fields = ("name", "short_description")


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "key", "type", "label", "required", "visible_if", "required_if")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FormVersion)
class FormVersionAdmin(ReadOnlyAdmin):
    list_display = ("item", "number", "state", "created_by", "published_at")
    list_filter = ("state",)
    list_select_related = ("item", "created_by")
    search_fields = ("item__name",)
    inlines = [QuestionInline]


@admin.register(TaskTemplate)
class TaskTemplateAdmin(ReadOnlyAdmin):
    list_display = ("item", "position", "key", "name", "team")
    list_select_related = ("item", "team")
    search_fields = ("item__name", "name")


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(ReadOnlyAdmin):
    list_display = ("item", "position", "name", "source", "group", "policy", "timeout_hours", "timeout_action")
    list_select_related = ("item", "group")
    search_fields = ("item__name", "name")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "requested_for")
    list_select_related = ("ticket", "requested_for")
    search_fields = ("ticket__number",)
    ordering = ("-ticket_id",)


@admin.register(RequestedItem)
class RequestedItemAdmin(ReadOnlyAdmin):
    list_display = ("request", "name", "quantity", "state")
    list_filter = ("state",)
    list_select_related = ("request__ticket",)
    ordering = ("-id",)


@admin.register(FulfilmentTask)
class FulfilmentTaskAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "requested_item", "key")
    list_select_related = ("ticket", "requested_item")
    search_fields = ("ticket__number",)
    ordering = ("-ticket_id",)
