"""REST API v1 (included at /api/v1/). The OpenAPI document is at /api/schema/, docs at /api/docs/.

Each app keeps its routes in its own ``api/urls.py``: viewsets in ``routes`` go on one router here
(so the API root lists them all), other paths in ``urlpatterns``; the SLA app's live under /sla/.
"""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api import urls as accounts_api
from catalog.api import request_urls as requests_api
from catalog.api import urls as catalog_api
from changes.api import urls as changes_api
from cmdb.api import urls as cmdb_api
from incidents.api import urls as incidents_api
from knowledge.api import urls as knowledge_api
from problems.api import urls as problems_api
from servicedesk.api import urls as servicedesk_api
from surveys.api import urls as surveys_api

APPS = [incidents_api, accounts_api, servicedesk_api, cmdb_api, changes_api, catalog_api, requests_api,
        problems_api, knowledge_api, surveys_api]
ORDER = ["incidents", "teams", "categories", "services", "users", "cmdb/classes", "cmdb/relationship-types",
         "cmdb/cis", "cmdb/relationships", "cmdb/redundancy-groups"]  # as the API root has always listed them

router = DefaultRouter()
routes = sorted((route for app in APPS for route in app.routes),
                key=lambda r: ORDER.index(r[0]) if r[0] in ORDER else len(ORDER))
for prefix, viewset, basename in routes:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    *accounts_api.urlpatterns,
    path("sla/", include("sla.api.urls")),
    *(pattern for app in APPS if app is not accounts_api for pattern in app.urlpatterns),
    *router.urls,
]
