"""Admin for people, organisations and teams: where administrators grant roles (groups)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .forms import AdminLoginForm
from .models import LoginFailure, LoginLockout, Organisation, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "organisation", "is_staff", "is_active")
    list_filter = ("groups", "organisation", "is_staff", "is_superuser", "is_active")
    list_select_related = ("organisation",)
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("organisation",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "phone")}),
        (_("Organisation and preferences"), {"fields": ("organisation", "time_zone", "language")}),
        (_("Roles and permissions"), {
            "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
            "description": _("Roles are the groups (Requester, Agent, Team lead …). "
                             "Staff status only opens this admin site."),
        }),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("Organisation and roles"), {"classes": ("wide",), "fields": ("email", "organisation", "groups")}),
    )

    @admin.display(description=_("name"), ordering="first_name")
    def display_name(self, obj):
        return obj.display_name


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "share_tickets", "member_count")
    list_editable = ("share_tickets",)
    list_filter = ("share_tickets",)
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead", "email", "member_count", "active")
    list_filter = ("active",)
    list_select_related = ("lead",)
    search_fields = ("name", "email")
    # Autocomplete, not a <select> of every user: organisations have thousands of people.
    autocomplete_fields = ("lead", "members")
    fields = ("name", "email", "description", "lead", "members", "active")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


# Every log-in path goes through the lockout, the admin's own too.
admin.site.login_form = AdminLoginForm


@admin.register(LoginLockout)
class LoginLockoutAdmin(admin.ModelAdmin):
    """Lockouts after too many failed log-ins. Delete one to lift it early (the deletion is audited)."""

    list_display = ("scope", "key", "failures", "created_at", "until")
    list_filter = ("scope",)
    search_fields = ("key",)
    readonly_fields = ("scope", "key", "failures", "created_at", "until")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Failed log-ins of the last day: what the lockouts count."""

    list_display = ("at", "username", "address", "path")
    list_filter = ("path",)
    search_fields = ("username", "address")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
