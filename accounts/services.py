"""Every write about people: their profile, their language, their API token (docs/architecture.md, rule 1).

Keyword-only, an explicit ``actor``, atomic with the actor on the audit trail. People change their
own profile; administrators (``accounts.change_user``) anyone's.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from esm.errors import NotPermitted
from esm.services import service

from .models import User

PROFILE_FIELDS = {"first_name", "last_name", "phone", "time_zone", "language"}


def _require_self_or_admin(actor: User, user: User) -> None:
    if actor is None or (actor.pk != user.pk and not actor.has_perm("accounts.change_user")):
        raise NotPermitted(_("You can only change your own profile."))


@service
def profile_update(*, actor: User, user: User, **changes) -> list[str]:
    """Change profile fields of ``user``; returns the names that changed."""
    _require_self_or_admin(actor, user)
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    if changes.get("language") and changes["language"] not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(user, name, changes[name])
    user.full_clean(validate_unique=False, validate_constraints=False,
                    exclude=[f.name for f in User._meta.fields if f.name not in changed])
    user.save(update_fields=changed)
    return changed


def language_set(*, actor: User, user: User, language: str) -> bool:
    """Remember the language ``user`` reads pages and e-mails in; returns whether it changed."""
    return bool(profile_update(actor=actor, user=user, language=language))


@service
def token_for(*, actor: User) -> Token:
    """The API token of ``actor`` (an authenticated, active person), created on first use."""
    if actor is None or not actor.is_active:
        raise NotPermitted(_("Only active accounts get API tokens."))
    token, _created = Token.objects.get_or_create(user=actor)
    return token
