"""API: changes — list, record, read, update, move, risk, CAB votes, conflicts, links — and their
templates, freeze windows, CABs, calendar (JSON and iCalendar), CAB agenda and metrics.

Changes are desk work: every endpoint needs the desk permission (403 otherwise); managing templates,
freeze windows and CABs needs ``changes.manage_changes`` (checked by the services, 403). Querysets
start from ``changes_visible_to``, so an unknown number is a 404. Each write calls one service
(docs/architecture.md, rule 1); writes to the change honour ``If-Match`` (412 when stale); guards
answer 409 with the missing things (``missing``).
"""

from datetime import timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import can_work_tickets
from esm.api import IF_MATCH, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, error_responses, etag_for, if_match_version
from esm.api_bases import ByIdMixin, ServiceWritesMixin, parse_id
from esm.pagination import KeysetPagination
from servicedesk import approvals as engine
from servicedesk.api.approvals import (
    ApprovalDecisionCreatedSerializer,
    ApprovalOverviewSerializer,
    ApprovalVoteCreateSerializer,
)
from servicedesk.models import ApproverGroup, Ticket, TicketCI
from servicedesk.queries import is_ticket_number

from .. import services
from ..calendar import ics_feed
from ..choices import ChangeType
from ..conflicts import conflicts_for
from ..filters import ChangeFilterSet
from ..models import CabRule, CalendarFeedToken, Change, ChangeTemplate, FreezeWindow, RiskQuestion
from ..queries import (
    CHANGE_ORDERING_FILTERS,
    CHANGE_ORDERINGS,
    DEFAULT_CHANGE_ORDERING,
    RowLookups,
    cab_agenda,
    calendar_changes,
    calendar_freezes,
    change_detail_queryset,
    change_metrics,
    change_rows_queryset,
    changes_visible_to,
    links_of,
)
from .serializers import (
    AgendaItemSerializer,
    ApproverGroupInputSerializer,
    ApproverGroupSerializer,
    CabRuleSerializer,
    CabsSerializer,
    ChangeCalendarSerializer,
    ChangeCreateSerializer,
    ChangeDetailSerializer,
    ChangeListItemSerializer,
    ChangeTransitionSerializer,
    ChangeUpdateSerializer,
    ChangeUrls,
    ConflictSerializer,
    FeedTokenCreatedSerializer,
    FeedTokenSerializer,
    FreezeWindowSerializer,
    LinkCreateSerializer,
    LinkSerializer,
    MetricsSerializer,
    ReviewSerializer,
    RiskAnswersSerializer,
    RiskSerializer,
    TemplateSerializer,
    change_row,
    change_url,
    conflict_data,
    risk_summary,
)

ETAG = OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200, 201],
                        description='The change\'s version as `"N"`; send it back as If-Match.')
CHANGE_WRITE = {"responses": {200: ChangeDetailSerializer, **WRITE_ERRORS}, "parameters": [IF_MATCH, ETAG]}
MAX_RANGE = timedelta(days=400)


class IsDeskStaff(BasePermission):
    """Changes are the service desk's work: agents and every other desk role."""

    def has_permission(self, request, view):
        return can_work_tickets(request.user)


def _number(raw: str) -> str:
    number = (raw or "").strip().upper()
    if not is_ticket_number(number):  # junk (NUL bytes, huge strings) never reaches the database
        raise Http404
    return number


def change_detail_data(ticket: Ticket, request) -> dict:
    """The detail representation, from a ticket read with ``change_detail_queryset``: five queries."""
    from cmdb.impact import affected_services_cached

    change = ticket.change
    cis = list(TicketCI.objects.filter(ticket=ticket).order_by("ci__name", "ci_id").values("ci_id", "ci__name"))
    services_at_risk = affected_services_cached([c["ci_id"] for c in cis])
    template = change.template
    data = {
        "number": ticket.number, "title": ticket.title, "state": ticket.state, "priority": ticket.priority,
        "change_type": change.change_type, "risk_level": change.risk_level, "risk_score": change.risk_score,
        "planned_start": change.planned_start, "planned_end": change.planned_end, "outcome": change.outcome,
        "requester": ticket.requester, "change_manager": change.change_manager, "team": ticket.team,
        "assignee": ticket.assignee, "service": ticket.service, "opened_at": ticket.opened_at,
        "updated_at": ticket.updated_at, "closed_at": ticket.closed_at, "version": ticket.version,
        "url": change_url(request, ticket.number),
        "description": ticket.description, "reason": change.reason, "justification": change.justification,
        "implementation_plan": change.implementation_plan, "backout_plan": change.backout_plan,
        "test_plan": change.test_plan, "category": ticket.category,
        "template": {"id": template.pk, "name": template.name, "active": template.active} if template else None,
        "actual_start": change.actual_start, "actual_end": change.actual_end, "review_notes": change.review_notes,
        "reviewed_by": change.reviewed_by, "reviewed_at": change.reviewed_at, "risk": risk_summary(change),
        "cis": [{"id": c["ci_id"], "name": c["ci__name"]} for c in cis],
        "services_at_risk": [{"id": s.id, "name": s.name, "criticality": s.criticality} for s in services_at_risk],
        "links": links_of(change),
        "approval": services.approval_outcome(ticket),
        "actions": [{**a, "label": str(a["label"]), "requires": list(a["requires"])}
                    for a in services.available_actions(ticket, request.user)],
    }
    return ChangeDetailSerializer(data).data


@extend_schema_view(
    list=extend_schema(summary="List changes", responses={200: ChangeListItemSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a change", parameters=[ETAG],
                           responses={200: ChangeDetailSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Record a change", request=ChangeCreateSerializer, parameters=[ETAG],
        description="From scratch (`change_type` normal or emergency), from a standard-change `template` (which "
                    "fills the record; the CAB is skipped) or `from_incident` (linked both ways).",
        responses={201: ChangeDetailSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(
        summary="Change a change's fields, CIs or assignment", request=ChangeUpdateSerializer,
        description="`cis` replaces the touched CIs (risk is recomputed); `team`/`assignee` set the implementer. "
                    "All changes apply together or not at all.", **CHANGE_WRITE),
)
class ChangeViewSet(viewsets.GenericViewSet):
    queryset = Ticket.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = ChangeDetailSerializer
    permission_classes = [IsDeskStaff]
    filterset_class = ChangeFilterSet
    pagination_class = KeysetPagination
    keyset_orderings = CHANGE_ORDERINGS
    keyset_default_ordering = DEFAULT_CHANGE_ORDERING
    keyset_ordering_filters = CHANGE_ORDERING_FILTERS
    lookup_field = "number"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return changes_visible_to(self.request.user)

    def get_object(self) -> Ticket:
        return get_object_or_404(self.get_queryset(), number=_number(self.kwargs["number"]))

    def detail_response(self, ticket: Ticket, *, status_code: int = status.HTTP_200_OK, headers=None) -> Response:
        ticket = change_detail_queryset(self.request.user).filter(pk=ticket.pk).first()
        if ticket is None:
            raise Http404
        return Response(change_detail_data(ticket, self.request), status=status_code,
                        headers={"ETag": etag_for(ticket.version), **(headers or {})})

    def visible_ticket(self, number: str, field: str) -> Ticket:
        number = (number or "").strip().upper()
        found = None
        if is_ticket_number(number):
            from servicedesk.queries import tickets_visible_to

            found = tickets_visible_to(self.request.user).filter(number=number).first()
        if found is None:
            raise ValidationError({field: [_("There is no ticket %(number)s.") % {"number": number}]})
        return found

    # --- The record -------------------------------------------------------------------------

    def list(self, request):
        rows = self.paginate_queryset(self.filter_queryset(change_rows_queryset(request.user)))
        urls, lookups, tz = ChangeUrls(request), RowLookups(rows), timezone.get_current_timezone()
        return self.get_paginated_response([change_row(row, urls, lookups, tz) for row in rows])

    def retrieve(self, request, number=None):
        return self.detail_response(self.get_object())

    def create(self, request):
        serializer = ChangeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        number = data.pop("from_incident", "")
        if number:
            data["from_incident"] = self.visible_ticket(number, "from_incident")
        ticket = services.change_create(actor=request.user, **data)
        return self.detail_response(ticket, status_code=status.HTTP_201_CREATED,
                                    headers={"Location": change_url(request, ticket.number)})

    def partial_update(self, request, number=None):
        ticket = self.get_object()
        serializer = ChangeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        ticket = services.change_update(ticket=ticket, actor=request.user,
                                        expected_version=if_match_version(request, ticket.version),
                                        **serializer.validated_data)
        return self.detail_response(ticket)

    # --- Lifecycle --------------------------------------------------------------------------

    @extend_schema(summary="Move a change to another state", request=ChangeTransitionSerializer,
                   description="Illegal moves answer 409 with the `allowed` targets; a guard (planned window, "
                               "authorisation, started window, freeze window, review) answers 409 "
                               "`guard_failed` with the `missing` codes. Change managers may give "
                               "`override_reason` to start without authorisation or before the window, or to "
                               "schedule in a freeze window.", **CHANGE_WRITE)
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        ticket = self.get_object()
        serializer = ChangeTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.change_transition(ticket=ticket, actor=request.user,
                                            expected_version=if_match_version(request, ticket.version),
                                            **serializer.validated_data)
        return self.detail_response(ticket)

    @extend_schema(summary="Record the post-implementation review (in Review)", request=ReviewSerializer,
                   **CHANGE_WRITE)
    @action(detail=True, methods=["post"])
    def review(self, request, number=None):
        ticket = self.get_object()
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.change_record_review(ticket=ticket, actor=request.user,
                                               expected_version=if_match_version(request, ticket.version),
                                               **serializer.validated_data)
        return self.detail_response(ticket)

    # --- Risk -------------------------------------------------------------------------------

    def risk_response(self, ticket: Ticket) -> Response:
        change = Change.objects.get(pk=ticket.pk)
        answers = change.risk_answers or {}
        questions = [{"id": q.pk, "text": _(q.text), "help_text": _(q.help_text) if q.help_text else "",
                      "risky_answer": q.risky_answer, "weight": q.weight, "answer": answers.get(str(q.pk))}
                     for q in RiskQuestion.objects.filter(active=True)]
        return Response(RiskSerializer({**risk_summary(change), "questions": questions}).data)

    @extend_schema(summary="The change's risk: score, level, reasons and the questionnaire",
                   responses={200: RiskSerializer, **READ_ERRORS})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def risk(self, request, number=None):
        return self.risk_response(self.get_object())

    @extend_schema(summary="Answer the risk questionnaire (replaces the answers; risk is recomputed)",
                   request=RiskAnswersSerializer, parameters=[IF_MATCH],
                   responses={200: RiskSerializer, **WRITE_ERRORS})
    @risk.mapping.put
    def answer_risk(self, request, number=None):
        ticket = self.get_object()
        serializer = RiskAnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.change_set_risk_answers(ticket=ticket, actor=request.user,
                                                  answers=serializer.validated_data["answers"],
                                                  expected_version=if_match_version(request, ticket.version))
        response = self.risk_response(ticket)
        response["ETag"] = etag_for(ticket.version)
        return response

    # --- CAB approval -----------------------------------------------------------------------

    @extend_schema(methods=["GET"], summary="The change's approval: rounds, steps, votes and decisions",
                   responses={200: ApprovalOverviewSerializer, **error_responses(401, 403, 404)})
    @extend_schema(methods=["POST"], summary="Approve or reject the pending CAB step",
                   description="Approvers of the pending step only (403 for others, and for the change's requester "
                               "and implementer). A rejection needs a comment. The change's risk at that moment is "
                               "stored with the decision. Approval moves a normal change to Scheduled (when it has "
                               "a planned window) and an emergency change to Implementing (when its window has "
                               "started); rejection moves it to Rejected. 409 when no step is pending.",
                   request=ApprovalVoteCreateSerializer,
                   responses={201: ApprovalDecisionCreatedSerializer, **error_responses(400, 401, 403, 404, 409)})
    @action(detail=True, methods=["get", "post"], url_path="approvals", filter_backends=[], pagination_class=None)
    def approvals(self, request, number=None):
        ticket = self.get_object()
        if request.method == "GET":
            return Response(ApprovalOverviewSerializer(engine.approval_overview(ticket, request.user)).data)
        serializer = ApprovalVoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decision = services.change_vote(ticket=ticket, actor=request.user, decision=data["decision"],
                                        comment=data.get("comment", ""), on_behalf_of=data.get("on_behalf_of"))
        return Response(ApprovalDecisionCreatedSerializer(decision).data, status=status.HTTP_201_CREATED)

    # --- Conflicts and links ----------------------------------------------------------------

    @extend_schema(summary="Conflicts: overlapping changes on the same or connected CIs, and freeze windows",
                   responses={200: ConflictSerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def conflicts(self, request, number=None):
        ticket = self.get_object()
        change = Change.objects.get(pk=ticket.pk)
        return Response([conflict_data(c) for c in conflicts_for(ticket, change)])

    @extend_schema(summary="Incidents and problems the change addresses, and incidents it caused",
                   responses={200: LinkSerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def links(self, request, number=None):
        ticket = self.get_object()
        return Response(LinkSerializer(links_of(Change.objects.get(pk=ticket.pk)), many=True).data)

    @extend_schema(summary="Link an incident or problem (addresses) or an incident (caused)",
                   request=LinkCreateSerializer,
                   responses={201: LinkSerializer(many=True), **error_responses(400, 401, 403, 404)})
    @links.mapping.post
    def add_link(self, request, number=None):
        ticket = self.get_object()
        serializer = LinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        other = self.visible_ticket(serializer.validated_data["number"], "number")
        link = services.change_link(ticket=ticket, actor=request.user, other=other,
                                    relation=serializer.validated_data["relation"])
        return Response(LinkSerializer(links_of(link.change), many=True).data, status=status.HTTP_201_CREATED)


# --- Templates ------------------------------------------------------------------------------

ACTIVE = OpenApiParameter("active", bool, OpenApiParameter.QUERY, description="Only available (true) or withdrawn "
                                                                              "(false) templates.")


@extend_schema_view(
    list=extend_schema(summary="List standard-change templates", parameters=[ACTIVE],
                       responses={200: TemplateSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a standard-change template",
                           parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
                           responses={200: TemplateSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add a standard-change template (change managers)",
                         responses={201: TemplateSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Edit a standard-change template (change managers)",
                                 parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH), IF_MATCH],
                                 responses={200: TemplateSerializer, **WRITE_ERRORS}),
)
class TemplateViewSet(ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TemplateSerializer
    permission_classes = [IsDeskStaff]
    pagination_class = KeysetPagination
    keyset_orderings = {"name": ("name", "id"), "id": ("id",)}
    keyset_default_ordering = "name"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = ChangeTemplate.objects.all()
        active = self.request.query_params.get("active")
        if active is not None:
            if active.lower() not in ("true", "false", "1", "0"):
                raise ValidationError({"active": [_("Give true or false.")]})
            qs = qs.filter(active=active.lower() in ("true", "1"))
        return qs

    def create(self, request):
        serializer = TemplateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = services.template_save(actor=request.user, **serializer.validated_data)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        template = self.get_object()
        serializer = TemplateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        template = services.template_save(actor=request.user, template=template,
                                          expected_version=if_match_version(request, template.version),
                                          **serializer.validated_data)
        return Response(TemplateSerializer(template).data, headers={"ETag": etag_for(template.version)})

    @extend_schema(summary="Withdraw a template (change managers): no new changes from it",
                   request=None, parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
                   responses={200: TemplateSerializer, **error_responses(401, 403, 404)})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        template = services.template_withdraw(actor=request.user, template=self.get_object())
        return Response(TemplateSerializer(template).data)


# --- Freeze windows -------------------------------------------------------------------------

ID_PATH = OpenApiParameter("id", int, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(summary="List freeze windows", responses={200: FreezeWindowSerializer(many=True),
                                                                 **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a freeze window", parameters=[ID_PATH],
                           responses={200: FreezeWindowSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add a freeze window (change managers)",
                         responses={201: FreezeWindowSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Edit a freeze window (change managers)", parameters=[ID_PATH],
                                 responses={200: FreezeWindowSerializer, **error_responses(400, 401, 403, 404)}),
    destroy=extend_schema(summary="Delete a freeze window (change managers)", parameters=[ID_PATH],
                          responses={204: None, **error_responses(401, 403, 404)}),
)
class FreezeWindowViewSet(ServiceWritesMixin, ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    serializer_class = FreezeWindowSerializer
    permission_classes = [IsDeskStaff]
    pagination_class = KeysetPagination
    keyset_orderings = {"starts_at": ("starts_at", "id"), "-starts_at": ("-starts_at", "-id")}
    keyset_default_ordering = "starts_at"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    save_service = staticmethod(services.freeze_window_save)
    delete_service = staticmethod(services.freeze_window_delete)
    instance_argument = "window"

    def get_queryset(self):
        return FreezeWindow.objects.all()


# --- CABs: approver groups and rules ------------------------------------------------------------


class CabsView(APIView):
    permission_classes = [IsDeskStaff]

    @extend_schema(summary="CABs: approver groups and the CAB rules that route changes to them",
                   responses={200: CabsSerializer, **error_responses(401, 403)})
    def get(self, request):
        groups = ApproverGroup.objects.select_related("chair").prefetch_related("members").order_by("name")
        rules = CabRule.objects.order_by("change_type", "order", "id")
        return Response(CabsSerializer({"groups": groups, "rules": rules}).data)


@extend_schema_view(
    list=extend_schema(summary="List approver groups (CABs)", responses={200: ApproverGroupSerializer(many=True),
                                                                         **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get an approver group", parameters=[ID_PATH],
                           responses={200: ApproverGroupSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add an approver group (change managers)", request=ApproverGroupInputSerializer,
                         responses={201: ApproverGroupSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Edit an approver group (change managers)", parameters=[ID_PATH],
                                 request=ApproverGroupInputSerializer,
                                 responses={200: ApproverGroupSerializer, **error_responses(400, 401, 403, 404)}),
)
class ApproverGroupViewSet(ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApproverGroupSerializer
    permission_classes = [IsDeskStaff]
    pagination_class = KeysetPagination
    keyset_orderings = {"name": ("name", "id"), "id": ("id",)}
    keyset_default_ordering = "name"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return ApproverGroup.objects.select_related("chair").prefetch_related("members")

    def create(self, request):
        serializer = ApproverGroupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = services.approver_group_save(actor=request.user, **serializer.validated_data)
        return Response(ApproverGroupSerializer(self.get_queryset().get(pk=group.pk)).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        group = self.get_object()
        serializer = ApproverGroupInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        group = services.approver_group_save(actor=request.user, group=group, **serializer.validated_data)
        return Response(ApproverGroupSerializer(self.get_queryset().get(pk=group.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="List CAB rules", responses={200: CabRuleSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a CAB rule", parameters=[ID_PATH],
                           responses={200: CabRuleSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add a CAB rule (change managers)",
                         responses={201: CabRuleSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Edit a CAB rule (change managers)", parameters=[ID_PATH],
                                 responses={200: CabRuleSerializer, **error_responses(400, 401, 403, 404)}),
    destroy=extend_schema(summary="Delete a CAB rule (change managers)", parameters=[ID_PATH],
                          responses={204: None, **error_responses(401, 403, 404)}),
)
class CabRuleViewSet(ServiceWritesMixin, ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    serializer_class = CabRuleSerializer
    permission_classes = [IsDeskStaff]
    pagination_class = KeysetPagination
    keyset_orderings = {"id": ("id",)}
    keyset_default_ordering = "id"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    save_service = staticmethod(services.cab_rule_save)
    delete_service = staticmethod(services.cab_rule_delete)
    instance_argument = "rule"

    def get_queryset(self):
        return CabRule.objects.all()


# --- Calendar, agenda, metrics ----------------------------------------------------------------


MAX_UTC_OFFSET = timedelta(hours=14)


def _when(raw: str):
    """An aware datetime from ISO 8601, or None; offsets beyond ±14:00 (which PostgreSQL refuses) are None."""
    try:
        parsed = parse_datetime(raw.strip()) if len(raw) < 40 else None
    except ValueError:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return timezone.make_aware(parsed)
    offset = parsed.utcoffset()
    return parsed if offset is not None and abs(offset) <= MAX_UTC_OFFSET else None


def _range(request, *, default_back: timedelta, default_ahead: timedelta):
    now = timezone.now()
    values, errors = {}, {}
    for name, default in (("start", now - default_back), ("end", now + default_ahead)):
        raw = request.query_params.get(name)
        if raw is None:
            values[name] = default
            continue
        parsed = _when(raw)
        if parsed is None:
            errors[name] = [_("Give a date and time in ISO 8601, e.g. 2026-05-01T00:00:00Z.")]
        else:
            values[name] = parsed
    if not errors and values["end"] <= values["start"]:
        errors["end"] = [_("The end must be after the start.")]
    if not errors and values["end"] - values["start"] > MAX_RANGE:
        errors["end"] = [_("Ask for at most 400 days at a time.")]
    if errors:
        raise ValidationError(errors)
    return values["start"], values["end"]


def _ids_param(request, name: str) -> list[int]:
    raw = request.query_params.getlist(name)
    ids = [parse_id(v) for part in raw for v in part.split(",") if v.strip()]
    if any(i is None for i in ids):
        raise ValidationError({name: [_("Give ids (numbers).")]})
    return ids


def _types_param(request) -> list[str]:
    types = [t for part in request.query_params.getlist("change_type") for t in part.split(",") if t]
    unknown = [t for t in types if t not in ChangeType.values]
    if unknown:
        raise ValidationError({"change_type": [_("Choose from: %(types)s.") % {"types": ", ".join(ChangeType.values)}]})
    return types


RANGE_PARAMS = [
    OpenApiParameter("start", OpenApiTypes.DATETIME, OpenApiParameter.QUERY, description="Default: 7 days ago."),
    OpenApiParameter("end", OpenApiTypes.DATETIME, OpenApiParameter.QUERY,
                     description="Default: 60 days ahead; at most 400 days after start."),
]
CALENDAR_PARAMS = [
    *RANGE_PARAMS,
    OpenApiParameter("service_id", int, OpenApiParameter.QUERY, many=True, description="Business services."),
    OpenApiParameter("team_id", int, OpenApiParameter.QUERY, many=True, description="Implementing teams."),
    OpenApiParameter("change_type", str, OpenApiParameter.QUERY, many=True, enum=ChangeType.values),
]


def _calendar_args(request):
    start, end = _range(request, default_back=timedelta(days=7), default_ahead=timedelta(days=60))
    return start, end, {"service_ids": _ids_param(request, "service_id"), "team_ids": _ids_param(request, "team_id"),
                        "types": _types_param(request)}


class CalendarView(APIView):
    permission_classes = [IsDeskStaff]

    @extend_schema(summary="The change calendar: changes and freeze windows in a range",
                   description="Times are in the zone named by `time_zone` (yours). The same data as an "
                               "iCalendar feed: `calendar.ics?token=` with a feed token.",
                   parameters=CALENDAR_PARAMS,
                   responses={200: ChangeCalendarSerializer, **error_responses(400, 401, 403)})
    def get(self, request):
        start, end, filters = _calendar_args(request)
        urls = ChangeUrls(request)
        changes = [{"number": t.number, "title": t.title, "state": t.state, "change_type": t.change.change_type,
                    "risk_level": t.change.risk_level, "start": t.change.planned_start, "end": t.change.planned_end,
                    "team": t.team, "service": t.service, "url": urls(t.number)}
                   for t in calendar_changes(request.user, start, end, **filters)[:2000]]
        freezes = [{"id": f.pk, "name": f.name, "start": f.starts_at, "end": f.ends_at, "service": f.service,
                    "reason": f.reason} for f in calendar_freezes(start, end, service_ids=filters["service_ids"])]
        return Response(ChangeCalendarSerializer({"time_zone": timezone.get_current_timezone_name(), "start": start,
                                            "end": end, "changes": changes, "freeze_windows": freezes}).data)


class CalendarFeedView(APIView):
    """The iCalendar feed: authenticated by its ``token`` (calendar clients cannot send headers)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(summary="The change calendar as an iCalendar feed (subscribe with a feed token)",
                   parameters=[OpenApiParameter("token", str, OpenApiParameter.QUERY, required=True,
                                                description="A feed token from calendar/tokens/."),
                               *CALENDAR_PARAMS],
                   responses={(200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="iCalendar"),
                              **error_responses(400, 403)})
    def get(self, request):
        user = services.calendar_token_user(request.query_params.get("token", ""))
        if user is None:
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied(_("Unknown or revoked feed token."))
        request.user = user
        start, end, filters = _calendar_args(request)
        body = ics_feed(request, calendar_changes(user, start, end, **filters)[:2000],
                        calendar_freezes(start, end, service_ids=filters["service_ids"]))
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="changes.ics"'
        response["Cache-Control"] = "private, no-store"
        return response


@extend_schema_view(
    list=extend_schema(summary="Your calendar feed tokens", responses={200: FeedTokenSerializer(many=True),
                                                                      **error_responses(401, 403)}),
    create=extend_schema(summary="Create a calendar feed token (shown once)", request=None,
                         responses={201: FeedTokenCreatedSerializer, **error_responses(401, 403)}),
    destroy=extend_schema(summary="Revoke a calendar feed token", parameters=[ID_PATH],
                          responses={204: None, **error_responses(401, 403, 404)}),
)
class FeedTokenViewSet(ByIdMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = FeedTokenSerializer
    permission_classes = [IsDeskStaff]
    pagination_class = None
    filter_backends: list = []
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        return CalendarFeedToken.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    def create(self, request):
        row, token = services.calendar_token_create(actor=request.user)
        from django.urls import reverse

        feed = request.build_absolute_uri(reverse("change-calendar-feed")) + f"?token={token}"
        return Response(FeedTokenCreatedSerializer({"id": row.pk, "created_at": row.created_at,
                                                    "last_used_at": None, "token": token, "feed_url": feed}).data,
                        status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        services.calendar_token_revoke(actor=request.user, token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgendaView(APIView):
    permission_classes = [IsDeskStaff]

    @extend_schema(summary="CAB agenda: changes awaiting authorization (and in assessment before `until`)",
                   parameters=[OpenApiParameter("until", OpenApiTypes.DATETIME, OpenApiParameter.QUERY,
                                                description="The next meeting: include normal changes in "
                                                            "Assessment planned to start before it.")],
                   responses={200: AgendaItemSerializer(many=True), **error_responses(400, 401, 403)})
    def get(self, request):
        until = None
        raw = request.query_params.get("until")
        if raw:
            until = _when(raw)
            if until is None:
                raise ValidationError({"until": [_("Give a date and time in ISO 8601.")]})
        urls = ChangeUrls(request)
        items = [{"number": t.number, "title": t.title, "state": t.state, "change_type": t.change.change_type,
                  "planned_start": t.change.planned_start, "planned_end": t.change.planned_end,
                  "change_manager": t.change.change_manager, "team": t.team, "service": t.service,
                  "risk": risk_summary(t.change), "conflicts": [conflict_data(c) for c in t.conflicts],
                  "url": urls(t.number)} for t in cab_agenda(request.user, until=until)]
        return Response(AgendaItemSerializer(items, many=True).data)


class MetricsView(APIView):
    permission_classes = [IsDeskStaff]

    @extend_schema(summary="Change metrics per month and team",
                   description="Success rate (successful or successful with issues, of implemented changes), "
                               "emergency share, changes that caused incidents and mean lead time (opened → "
                               "implementation started), by month of opening and team.",
                   parameters=[*RANGE_PARAMS, OpenApiParameter("team_id", int, OpenApiParameter.QUERY, many=True)],
                   responses={200: MetricsSerializer, **error_responses(400, 401, 403)})
    def get(self, request):
        start, end = _range(request, default_back=timedelta(days=365), default_ahead=timedelta(0))
        rows = change_metrics(request.user, start, end, team_ids=_ids_param(request, "team_id"))
        return Response(MetricsSerializer({"start": start, "end": end, "rows": rows}).data)
