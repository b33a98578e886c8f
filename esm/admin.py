from django.contrib import admin

from .models import QueueFailure


@admin.register(QueueFailure)
class QueueFailureAdmin(admin.ModelAdmin):
    """Read-only: rows are written when the broker refused a task (esm/queueing.py)."""

    list_display = ["failed_at", "task", "error"]
    list_filter = ["task"]
    readonly_fields = ["task", "arguments", "error", "failed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
