"""API routes of the service desk's reference data, joined into /api/v1/ by esm/api_urls.py."""

from .approvals import DelegationViewSet, PendingApprovalViewSet
from .views import CategoryViewSet

routes = [
    ("categories", CategoryViewSet, "category"),
    ("approvals/delegations", DelegationViewSet, "approval-delegation"),
    ("approvals", PendingApprovalViewSet, "approval"),
]

urlpatterns: list = []
