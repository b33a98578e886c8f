"""People, the organisations requesters belong to, and teams (assignment groups).

These live below the CMDB and the service desk because both refer to them: a CI has an owner and
a support team, a ticket has a requester and an assignment group.
"""

import re
import zoneinfo

import pghistory
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from esm.models import TimestampedModel

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def validate_time_zone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Organisation(TimestampedModel):
    """A department or customer company. Sharing lets its members see each other's tickets."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    share_tickets = models.BooleanField(
        _("members see each other's tickets"),
        default=False,
        help_text=_("When on, every member of this organisation can follow its tickets on the portal."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name


def display_name(first_name: str, last_name: str, username: str) -> str:
    """"Minji Kim" for Latin names, "김민지" for Korean ones (family name first, no space)."""
    if HANGUL.search(last_name + first_name):
        return f"{last_name}{first_name}".strip() or username
    return f"{first_name} {last_name}".strip() or username


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(),
    exclude=["password", "last_login"],
)
class User(AbstractUser):
    """Anyone who signs in. Roles come from groups (see accounts.roles)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=[("en", "English"), ("ko", "한국어")]
    )
    # Line manager: approves their reports' service requests (catalog approval rules).
    manager = models.ForeignKey(
        "self", verbose_name=_("manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="reports",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["first_name", "last_name", "username"]
        indexes = [
            models.Index(fields=["organisation"], name="user_org_idx"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.username)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Team(TimestampedModel):
    """An assignment group: tickets are assigned to a team and optionally one of its members."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    email = models.EmailField(_("team e-mail"), blank=True)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey(
        User, verbose_name=_("team lead"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="led_teams",
    )
    members = models.ManyToManyField(User, verbose_name=_("members"), related_name="teams", blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name

    def has_member(self, user) -> bool:
        return user is not None and self.members.filter(pk=user.pk).exists()


class LoginFailure(models.Model):
    """One refused log-in (wrong password, unknown or disabled account) on any log-in path.

    Counted per account and per client address to decide lockouts (accounts/lockout.py); rows
    older than a day are purged as new ones arrive. Kept in PostgreSQL, not the cache, so the
    count holds when Redis is down or restarted.
    """

    username = models.CharField(_("username"), max_length=150)  # as typed, lower-cased
    address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    path = models.CharField(_("log-in path"), max_length=20)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("failed log-in")
        verbose_name_plural = _("failed log-ins")
        indexes = [
            models.Index(fields=["username", "at"], name="loginfailure_user_idx"),
            models.Index(fields=["address", "at"], name="loginfailure_addr_idx"),
            models.Index(fields=["at"], name="loginfailure_at_idx"),
        ]

    def __str__(self):
        return f"{self.username} {self.address or ''} {self.at:%Y-%m-%d %H:%M}"


class LockoutScope(models.TextChoices):
    ACCOUNT = "account", _("account")
    ADDRESS = "address", _("client address")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class LoginLockout(models.Model):
    """An account or a client address refused log-in until ``until`` after too many failures.

    In the audit trail; an administrator lifts one early by deleting it in the admin.
    """

    scope = models.CharField(_("scope"), max_length=10, choices=LockoutScope.choices)
    key = models.CharField(_("account or address"), max_length=150)
    failures = models.PositiveIntegerField(_("failed log-ins"))
    created_at = models.DateTimeField(_("locked at"), default=timezone.now)
    until = models.DateTimeField(_("locked until"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("log-in lockout")
        verbose_name_plural = _("log-in lockouts")
        indexes = [models.Index(fields=["scope", "key", "until"], name="loginlockout_key_idx")]

    def __str__(self):
        return f"{self.get_scope_display()} {self.key}"
