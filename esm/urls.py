"""Root URLs: the portal, the console, the API and its schema, admin, log-in."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from accounts.forms import LoginForm
from catalog import portal_urls as catalog_portal_urls
from catalog import request_portal_urls
from incidents import portal_urls as incident_portal_urls
from knowledge import portal_urls as knowledge_portal_urls
from problems import portal_urls as problem_portal_urls
from servicedesk import portal_urls as portal_shell_urls
from servicedesk.views import files
from surveys import portal_urls as survey_portal_urls

from . import views

# The portal is one namespace: the service desk's shell plus each process app's pages.
portal_patterns = [*portal_shell_urls.urlpatterns, *incident_portal_urls.urlpatterns,
                   *catalog_portal_urls.urlpatterns, *request_portal_urls.urlpatterns,
                   *problem_portal_urls.urlpatterns, *knowledge_portal_urls.urlpatterns,
                   *survey_portal_urls.urlpatterns]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("accounts/login/", auth_views.LoginView.as_view(
        redirect_authenticated_user=True, authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("attachments/<int:pk>/<str:name>", files.attachment_download, name="attachment_download"),
    path("portal/", include((portal_patterns, "portal"))),
    path("desk/incidents/", include(("incidents.desk_urls", "desk-incidents"))),
    path("desk/cmdb/", include(("cmdb.desk_urls", "desk-cmdb"))),
    path("desk/sla/", include(("sla.desk_urls", "desk-sla"))),
    path("desk/changes/", include(("changes.desk_urls", "desk-changes"))),
    path("desk/catalog/", include(("catalog.desk_urls", "desk-catalog"))),
    path("desk/requests/", include(("catalog.request_desk_urls", "desk-requests"))),
    path("desk/problems/", include(("problems.desk_urls", "desk-problems"))),
    path("desk/knowledge/", include(("knowledge.desk_urls", "desk-knowledge"))),
    path("desk/surveys/", include(("surveys.desk_urls", "desk-surveys"))),
    path("desk/", include(("servicedesk.desk_urls", "desk"))),
    path("api/v1/", include("esm.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("robots.txt", lambda r: HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")),
]

handler403 = "esm.views.permission_denied"
handler404 = "esm.views.page_not_found"
handler500 = "esm.views.server_error"
