"""Pages and API of the "purchases" process used by the approval tests (see conftest.py).

They are built the way a real process uses the engine: the ticket page includes the approval
panel, and the ticket ViewSet mounts ``ApprovalsActionMixin``.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from esm.access import desk_required
from servicedesk.api.approvals import ApprovalsActionMixin
from servicedesk.queries import tickets_visible_to
from servicedesk.views.approvals import approval_panel_context


@desk_required
def purchase_page(request, number):
    ticket = tickets_visible_to(request.user).filter(kind="purchase", number=number).first()
    if ticket is None:
        raise Http404
    return render(request, "desk/approvals/_panel.html", approval_panel_context(ticket, request))


class PurchaseSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


class PurchaseViewSet(ApprovalsActionMixin, viewsets.GenericViewSet):
    lookup_field = "number"
    serializer_class = PurchaseSerializer

    def get_queryset(self):
        return tickets_visible_to(self.request.user).filter(kind="purchase")

    def get_object(self):
        return get_object_or_404(self.get_queryset(), number=self.kwargs["number"].upper())

    @extend_schema(summary="Get a purchase")
    def retrieve(self, request, number=None):
        return Response(PurchaseSerializer(self.get_object()).data)
