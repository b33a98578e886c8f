from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import (
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from accounts.roles import can_work_tickets

from . import health


@login_required
def home(request):
    """Each person lands where their work is: the console's landing page for desk roles, else the portal."""
    if not can_work_tickets(request.user):
        return redirect("portal:home")
    from servicedesk.registry import desk_landing_url

    return redirect(desk_landing_url(request.user))


@require_GET
def healthz(request):
    """Database, Redis and the beat heartbeat: 200 when all are fine, else 503 naming what is down."""
    checks = health.checks()
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks},
                            status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def livez(request):
    """This web process answers and reaches its database; for load balancers and benchmarks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; the icon is a static SVG."""
    return redirect(static("esm/favicon.svg"))


# --- Error pages ----------------------------------------------------------------------------
# The look follows the part of the site the address belongs to: console, admin or portal.

SURFACES = {"desk": ("errors/desk.html", "desk:queue"), "admin": ("errors/admin.html", "admin:index"),
            "portal": ("errors/portal.html", "portal:home")}


def surface_of(path: str) -> str:
    if path.startswith("/desk/"):
        return "desk"
    if path.startswith("/admin/"):
        return "admin"
    return "portal"


def _error_context(request, **extra) -> dict:
    layout, home_url = SURFACES[surface_of(request.path)]
    return {"error_layout": layout, "home_url_name": home_url, "request_path": request.path, **extra}


def permission_denied(request, exception=None):
    return render(request, "403.html", _error_context(request), status=HttpResponseForbidden.status_code)


def page_not_found(request, exception=None):
    return render(request, "404.html", _error_context(request), status=HttpResponseNotFound.status_code)


def server_error(request):
    """Rendered without the request's context processors: no session, no user, no database."""
    try:
        html = render_to_string("500.html", _error_context(request))
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        html = "<!doctype html><title>Server error</title><h1>Server error (500)</h1><p><a href=\"/\">Home</a></p>"
    return HttpResponseServerError(html)
