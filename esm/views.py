from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from accounts.roles import can_work_tickets

from . import health


@login_required
def home(request):
    """Agents land in the console, everyone else on the portal."""
    return redirect("desk:queue" if can_work_tickets(request.user) else "portal:home")


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
