"""Views about the signed-in person."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from . import services


@require_POST
def set_language(request):
    """Django's set_language, which also remembers the choice on the person's profile.

    The profile language is what ``esm.middleware.UserTimezoneMiddleware`` activates on every
    request and what e-mails to this person are written in.
    """
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES):
        services.language_set(actor=user, user=user, language=language)
    return django_set_language(request)


def redirect_to_portal(request):
    """A signed-in person without console access who opens a console page goes to the portal."""
    messages.info(request, _("The service desk console is for support staff. Here is your service portal."))
    if getattr(request, "htmx", False):
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(reverse("portal:home"))
    return redirect("portal:home")
