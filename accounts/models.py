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
