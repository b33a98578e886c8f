"""Who may open console pages (docs/architecture.md, rule 7: deny by default).

``desk_required`` guards every console page of the service desk and the process apps; other
console areas build their own guards with ``console_guard`` (the CMDB: readers and editors).
"""

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from accounts.roles import can_work_tickets
from accounts.views import redirect_to_portal


def console_guard(check, *, staff=None):
    """A view decorator: anonymous → log-in; people without console access → the portal;
    console users that ``check`` refuses → 403. ``staff`` says who has console access (``check``
    itself by default)."""
    staff = staff or check

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(f"{reverse('login')}?next={request.path}")
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                if not staff(request.user):  # requesters: the portal is their place
                    return redirect_to_portal(request)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


desk_required = console_guard(can_work_tickets)
desk_required.__doc__ = "Only people with the desk permission: anonymous → log-in, requesters → the portal."
