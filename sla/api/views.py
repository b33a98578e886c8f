"""API: business calendars and SLA definitions (read: desk staff; write: service level managers),
clocks by ticket number, and the compliance report (JSON or CSV)."""

from datetime import date

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, renderers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import can_work_tickets
from esm.api import ERR_404, LIST_ERRORS, READ_ERRORS, error_responses, item_field_errors
from esm.api_bases import parse_id
from servicedesk.queries import tickets_visible_to

from .. import queries, reports, services
from ..panels import clock_data
from .serializers import (
    CalendarSerializer,
    ClockQuerySerializer,
    ClockSerializer,
    ComplianceQuerySerializer,
    ComplianceReportSerializer,
    DefinitionSerializer,
)

MAX_MONTHS = 36
MANAGER_WRITE_ERRORS = error_responses(400, 401, 403, 404)  # no version on these: no 412


class DeskReadManagerWrite(permissions.BasePermission):
    """Desk staff read; service level managers write. Everyone else: 403."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return can_work_tickets(request.user)
        return services.can_manage_sla(request.user)


class DeskOnly(permissions.BasePermission):
    def has_permission(self, request, view):
        return can_work_tickets(request.user)


class ConfigViewSet(viewsets.GenericViewSet):
    """List, read, create and change; small tables, so no pagination."""

    permission_classes = [permissions.IsAuthenticated, DeskReadManagerWrite]
    pagination_class = None
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_object(self):
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise Http404
        return get_object_or_404(self.get_queryset(), pk=pk)

    def list(self, request):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def reload(self, obj, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data, status=status_code)


def config_schema(serializer, singular: str, plural: str, item_lists: tuple[str, ...]):
    path_id = OpenApiParameter("id", int, OpenApiParameter.PATH)
    component = serializer.__name__.removesuffix("Serializer") + "FieldErrors"
    write_errors = {**MANAGER_WRITE_ERRORS, 400: item_field_errors(component, *item_lists)}
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}", responses={200: serializer(many=True), **LIST_ERRORS}),
        retrieve=extend_schema(summary=f"Get one {singular}", parameters=[path_id],
                               responses={200: serializer, **READ_ERRORS}),
        create=extend_schema(summary=f"Create a {singular} (service level managers)", request=serializer,
                             responses={201: serializer, **write_errors}),
        partial_update=extend_schema(summary=f"Change a {singular} (service level managers)", parameters=[path_id],
                                     request=serializer, responses={200: serializer, **write_errors}),
    )


@config_schema(CalendarSerializer, "business calendar", "business calendars", ("hours", "dates"))
class CalendarViewSet(ConfigViewSet):
    serializer_class = CalendarSerializer

    def get_queryset(self):
        return queries.calendars()

    def _save(self, request, calendar=None):
        serializer = self.get_serializer(calendar, data=request.data, partial=calendar is not None)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        hours = data.pop("hours", None)
        dates = data.pop("dates", None)
        if hours is not None:
            hours = [(h["weekday"], h["start"], h["end"]) for h in hours]
        return services.calendar_save(actor=request.user, calendar=calendar, hours=hours, dates=dates, **data)

    def create(self, request):
        return self.reload(self._save(request), status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        return self.reload(self._save(request, self.get_object()))


@config_schema(DefinitionSerializer, "SLA definition", "SLA definitions", ("targets",))
class DefinitionViewSet(ConfigViewSet):
    serializer_class = DefinitionSerializer

    def get_queryset(self):
        return queries.sla_definitions()

    def _save(self, request, definition=None):
        serializer = self.get_serializer(definition, data=request.data, partial=definition is not None)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        targets = data.pop("targets", None)
        if targets is not None:
            targets = {t["metric"]: t["seconds"] for t in targets}
        return services.definition_save(actor=request.user, definition=definition, targets=targets, **data)

    def create(self, request):
        return self.reload(self._save(request), status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        return self.reload(self._save(request, self.get_object()))


class ClockListView(APIView):
    """The SLA, OLA and UC clocks of one ticket you can see (404 for a ticket you cannot)."""

    permission_classes = [permissions.IsAuthenticated, DeskOnly]

    @extend_schema(summary="Clocks of a ticket", parameters=[ClockQuerySerializer],
                   responses={200: ClockSerializer(many=True), **LIST_ERRORS, 404: ERR_404})
    def get(self, request):
        query = ClockQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        number = query.validated_data["ticket"].upper()
        ticket = tickets_visible_to(request.user).filter(number=number).only("id").first()
        if ticket is None:
            raise Http404
        views = queries.clocks_for_tickets([ticket.pk])[ticket.pk]
        return Response(ClockSerializer([clock_data(v) for v in views], many=True).data)


def month_range(data) -> tuple[date, date]:
    """[first day of start month, first day after end month); default: the last six months."""
    today = date.today()
    end_y, end_m = map(int, data["end"].split("-")) if data.get("end") else (today.year, today.month)
    if data.get("start"):
        start_y, start_m = map(int, data["start"].split("-"))
    else:
        index = end_y * 12 + end_m - 1 - 5
        start_y, start_m = divmod(index, 12)
        start_m += 1
    months = (end_y * 12 + end_m) - (start_y * 12 + start_m) + 1
    if months < 1:
        raise ValidationError({"end": ["The last month comes before the first."]})
    if months > MAX_MONTHS:
        raise ValidationError({"start": [f"At most {MAX_MONTHS} months at a time."]})
    after_y, after_m = divmod(end_y * 12 + end_m, 12)
    return date(start_y, start_m, 1), date(after_y, after_m + 1, 1)


class CSVRenderer(renderers.BaseRenderer):
    """``?format=csv`` (or ``Accept: text/csv``): the report as a CSV file."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "rows" in data:
            return reports.as_csv([reports.ReportRow(**row) for row in data["rows"]])
        return "\n".join(f"{k},{v}" for k, v in (data or {}).items())  # errors, as "field,message" lines


class FormatParameterNegotiation(DefaultContentNegotiation):
    """An unknown ``?format=`` is a 400 on that parameter, as the schema documents it (DRF answers 404)."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            field = ComplianceQuerySerializer().fields["format"]
            try:
                field.run_validation(format)
            except ValidationError as exc:
                raise ValidationError({"format": exc.detail}) from None
        return super().filter_renderers(renderers, format)


class ComplianceReportView(APIView):
    """Met / breached / % met, average and p90 business time, per month and dimension. ``format=csv`` for CSV."""

    permission_classes = [permissions.IsAuthenticated, DeskOnly]
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]
    content_negotiation_class = FormatParameterNegotiation

    @extend_schema(summary="SLA compliance report", parameters=[ComplianceQuerySerializer],
                   responses={200: OpenApiResponse(ComplianceReportSerializer,
                                                   description="JSON; with format=csv a text/csv file."),
                              **LIST_ERRORS})
    def get(self, request):
        query = ComplianceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        start, end = month_range(data)
        rows = reports.compliance(start=start, end=end, dimension=data["group_by"], type_=data["type"])
        body = {"start": f"{start:%Y-%m}", "end": data.get("end") or f"{date.today():%Y-%m}",
                "group_by": data["group_by"], "type": data["type"], "rows": [vars(r) for r in rows]}
        response = Response(ComplianceReportSerializer(body).data)
        if getattr(request, "accepted_renderer", None) and request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="sla-compliance-{start:%Y-%m}.csv"'
        return response


