"""API: problems — list, record, read, update, move, analysis, incidents — the known-error database,
known-error suggestions for an incident, and recurring-incident candidates.

Everything is desk work: every endpoint needs the desk permission (403 otherwise; requesters reach
none of it). Moves, the analysis, known errors and candidates need ``problems.manage_problems``
(checked by the services, 403). An unknown number is a 404; writes to a problem honour If-Match.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import can_work_tickets
from esm.api import (
    IF_MATCH,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    error_responses,
    etag_for,
    if_match_version,
)
from esm.api_bases import parse_id
from esm.pagination import KeysetPagination
from servicedesk.choices import TicketKind
from servicedesk.models import Ticket, TicketCI
from servicedesk.queries import is_ticket_number, tickets_visible_to
from servicedesk.rendering import render_markdown

from .. import services
from ..filters import KnownErrorFilterSet, ProblemFilterSet
from ..models import KnownError, ProblemCandidate
from ..queries import (
    CANDIDATE_ORDERINGS,
    DEFAULT_PROBLEM_ORDERING,
    KNOWN_ERROR_ORDERINGS,
    PROBLEM_ORDERINGS,
    candidate_incident_numbers,
    candidates_for,
    known_error_rows,
    known_errors_for,
    linked_incidents,
    problem_rows_queryset,
    problems_visible_to,
    suggestions_for_incident,
)
from .serializers import (
    AppliedSerializer,
    ApplySerializer,
    CandidateAcceptSerializer,
    CandidateSerializer,
    IncidentNumbersSerializer,
    KnownErrorSerializer,
    LinkedIncidentsSerializer,
    ProblemCreateSerializer,
    ProblemDetailSerializer,
    ProblemListItemSerializer,
    ProblemTransitionSerializer,
    ProblemUpdateSerializer,
    RcaSerializer,
    SuggestionsSerializer,
)

ETAG = OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200, 201],
                        description='The version as `"N"`; send it back as If-Match.')
PROBLEM_WRITE = {"responses": {200: ProblemDetailSerializer, **WRITE_ERRORS}, "parameters": [IF_MATCH, ETAG]}
NUMBER_PATH = OpenApiParameter("number", str, OpenApiParameter.PATH)
ID_PATH = OpenApiParameter("id", int, OpenApiParameter.PATH)


class IsDeskStaff(BasePermission):
    """Problems and known errors are the service desk's work: agents and every other desk role."""

    def has_permission(self, request, view):
        return can_work_tickets(request.user)


def _number(raw: str) -> str:
    number = (raw or "").strip().upper()
    if not is_ticket_number(number):
        raise Http404
    return number


def _brief(user):
    return {"id": user.pk, "username": user.username, "display_name": user.display_name} if user else None


def problem_url(request, number: str) -> str:
    return request.build_absolute_uri(reverse("problem-detail", kwargs={"number": number}))


def problem_row(ticket: Ticket, request) -> dict:
    problem = ticket.problem
    return {
        "number": ticket.number, "title": ticket.title, "state": ticket.state, "priority": ticket.priority,
        "impact": problem.impact, "urgency": problem.urgency, "problem_manager": problem.problem_manager,
        "team": ticket.team, "assignee": ticket.assignee, "service": ticket.service,
        "cause_category": problem.cause_category, "opened_at": ticket.opened_at, "updated_at": ticket.updated_at,
        "version": ticket.version, "url": problem_url(request, ticket.number),
    }


def problem_detail_data(ticket: Ticket, request, resolution=None) -> dict:
    from changes.queries import changes_for_ticket

    problem = ticket.problem
    data = {
        **problem_row(ticket, request),
        "description": ticket.description, "category": ticket.category, "requester": ticket.requester,
        "resolved_at": ticket.resolved_at, "closed_at": ticket.closed_at, "rca_method": problem.rca_method,
        "rca_content": problem.rca_content, "root_cause": problem.root_cause,
        "no_change_reason": problem.no_change_reason, "resolution_notes": problem.resolution_notes,
        "cis": [link.ci for link in TicketCI.objects.filter(ticket=ticket).select_related("ci").order_by("ci__name")],
        "incidents": linked_incidents(ticket),
        "changes": changes_for_ticket(ticket, request.user),
        "known_errors": list(problem.known_errors.order_by("id")),
        "actions": [{**a, "label": str(a["label"]), "requires": list(a["requires"])}
                    for a in services.available_actions(ticket, request.user)],
        "incident_resolution": resolution and {"resolved": resolution.resolved,
                                               "not_resolved": resolution.not_resolved},
    }
    return ProblemDetailSerializer(data).data


def _visible_incidents(request, numbers: list[str], field: str) -> list[Ticket]:
    wanted = [n.strip().upper() for n in numbers]
    found = {t.number: t for t in tickets_visible_to(request.user).filter(
        number__in=[n for n in wanted if is_ticket_number(n)]).select_related("category", "service")}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError({field: [_("There is no ticket %(number)s.") % {"number": n} for n in missing[:10]]})
    return [found[n] for n in dict.fromkeys(wanted)]


@extend_schema_view(
    list=extend_schema(summary="List problems", responses={200: ProblemListItemSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a problem", parameters=[ETAG],
                           responses={200: ProblemDetailSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Record a problem", request=ProblemCreateSerializer, parameters=[ETAG],
                         description="With `incidents` (numbers) it is raised from them: they are linked, and the "
                                     "first one's title, category, service and CIs fill what is not given.",
                         responses={201: ProblemDetailSerializer, **error_responses(400, 401, 403, 409)}),
    partial_update=extend_schema(summary="Change a problem's fields, CIs or assignment",
                                 request=ProblemUpdateSerializer, **PROBLEM_WRITE),
)
class ProblemViewSet(viewsets.GenericViewSet):
    queryset = Ticket.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = ProblemDetailSerializer
    permission_classes = [IsDeskStaff]
    filterset_class = ProblemFilterSet
    pagination_class = KeysetPagination
    keyset_orderings = PROBLEM_ORDERINGS
    keyset_default_ordering = DEFAULT_PROBLEM_ORDERING
    lookup_field = "number"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return problems_visible_to(self.request.user)

    def get_object(self) -> Ticket:
        return get_object_or_404(self.get_queryset(), number=_number(self.kwargs["number"]))

    def detail_response(self, ticket: Ticket, *, status_code=status.HTTP_200_OK, resolution=None, headers=None):
        ticket = problem_rows_queryset(self.request.user).select_related(
            "requester", "category", "problem__problem_manager").filter(pk=ticket.pk).first()
        if ticket is None:
            raise Http404
        return Response(problem_detail_data(ticket, self.request, resolution), status=status_code,
                        headers={"ETag": etag_for(ticket.version), **(headers or {})})

    def list(self, request):
        rows = self.paginate_queryset(self.filter_queryset(problem_rows_queryset(request.user)))
        return self.get_paginated_response(ProblemListItemSerializer(
            [problem_row(t, request) for t in rows], many=True).data)

    def retrieve(self, request, number=None):
        return self.detail_response(self.get_object())

    def create(self, request):
        serializer = ProblemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        numbers = data.pop("incidents", [])
        if numbers:
            data["incidents"] = _visible_incidents(request, numbers, "incidents")
        ticket = services.problem_create(actor=request.user, **data)
        return self.detail_response(ticket, status_code=status.HTTP_201_CREATED,
                                    headers={"Location": problem_url(request, ticket.number)})

    def partial_update(self, request, number=None):
        ticket = self.get_object()
        serializer = ProblemUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        ticket = services.problem_update(ticket=ticket, actor=request.user,
                                         expected_version=if_match_version(request, ticket.version),
                                         **serializer.validated_data)
        return self.detail_response(ticket)

    @extend_schema(summary="Move a problem to another state (problem managers)", request=ProblemTransitionSerializer,
                   description="Resolved needs a linked change closed successfully or `no_change_reason`; Closed "
                               "needs the root cause (409 `guard_failed` with `missing`). With `resolve_incidents` "
                               "the open linked incidents are resolved too, each through its own workflow, with "
                               "`incident_note` as a public note; `incident_resolution` lists those that could "
                               "not move.", **PROBLEM_WRITE)
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        ticket = self.get_object()
        serializer = ProblemTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket, resolution = services.problem_transition(
            ticket=ticket, actor=request.user, expected_version=if_match_version(request, ticket.version),
            **serializer.validated_data)
        return self.detail_response(ticket, resolution=resolution)

    @extend_schema(summary="Record the root-cause analysis (problem managers)", request=RcaSerializer,
                   **PROBLEM_WRITE)
    @action(detail=True, methods=["put"])
    def rca(self, request, number=None):
        ticket = self.get_object()
        serializer = RcaSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.problem_record_rca(ticket=ticket, actor=request.user,
                                             expected_version=if_match_version(request, ticket.version),
                                             **serializer.validated_data)
        return self.detail_response(ticket)

    @extend_schema(methods=["GET"], summary="The problem's incidents",
                   responses={200: LinkedIncidentsSerializer, **READ_ERRORS})
    @extend_schema(methods=["POST"], summary="Link incidents (numbers); an incident belongs to one problem",
                   request=IncidentNumbersSerializer,
                   responses={200: LinkedIncidentsSerializer, **error_responses(400, 401, 403, 404, 409)})
    @action(detail=True, methods=["get", "post"])
    def incidents(self, request, number=None):
        ticket = self.get_object()
        if request.method == "POST":
            serializer = IncidentNumbersSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            incidents = _visible_incidents(request, serializer.validated_data["incidents"], "incidents")
            services.problem_link_incidents(ticket=ticket, actor=request.user, incidents=incidents)
        return Response(LinkedIncidentsSerializer({"incidents": linked_incidents(ticket)}).data)

    @extend_schema(summary="Unlink an incident", parameters=[OpenApiParameter("incident", str, "path")],
                   request=None, responses={204: None, **error_responses(401, 403, 404, 409)})
    @action(detail=True, methods=["delete"], url_path=r"incidents/(?P<incident>[^/]+)")
    def unlink_incident(self, request, number=None, incident=None):
        ticket = self.get_object()
        linked = Ticket.objects.filter(problem_link__problem_id=ticket.pk, number=_number(incident)).first()
        if linked is None:
            raise Http404
        services.problem_unlink_incident(ticket=ticket, actor=request.user, incident=linked)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Known errors ---------------------------------------------------------------------------


def known_error_data(known_error: KnownError) -> dict:
    data = KnownErrorSerializer(known_error).data
    data.update(problem=known_error.problem.ticket.number if known_error.problem_id else None,
                category=known_error.category_id, cis=[c.pk for c in known_error.cis.all()],
                services=[s.pk for s in known_error.services.all()],
                workaround_html=str(render_markdown(known_error.workaround)))
    return data


@extend_schema_view(
    list=extend_schema(summary="Search the known-error database",
                       responses={200: KnownErrorSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a known error", parameters=[ID_PATH, ETAG],
                           responses={200: KnownErrorSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Record a known error (problem managers)", request=KnownErrorSerializer,
                         responses={201: KnownErrorSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Edit a known error (problem managers)", request=KnownErrorSerializer,
                                 parameters=[ID_PATH, IF_MATCH, ETAG],
                                 responses={200: KnownErrorSerializer, **WRITE_ERRORS}),
)
class KnownErrorViewSet(viewsets.GenericViewSet):
    queryset = KnownError.objects.none()
    serializer_class = KnownErrorSerializer
    permission_classes = [IsDeskStaff]
    filterset_class = KnownErrorFilterSet
    pagination_class = KeysetPagination
    keyset_orderings = KNOWN_ERROR_ORDERINGS
    keyset_default_ordering = "-updated_at"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return known_error_rows(known_errors_for(self.request.user))

    def get_object(self) -> KnownError:
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise Http404
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _response(self, known_error, status_code=status.HTTP_200_OK):
        known_error = self.get_queryset().get(pk=known_error.pk)
        return Response(known_error_data(known_error), status=status_code,
                        headers={"ETag": etag_for(known_error.version)})

    def _fields(self, request, partial: bool) -> dict:
        serializer = KnownErrorSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "problem" in data:
            number = (data["problem"] or "").strip().upper()
            problem = None
            if number:
                found = problems_visible_to(request.user).filter(number=number).select_related("problem").first() \
                    if is_ticket_number(number) else None
                if found is None:
                    raise ValidationError({"problem": [_("There is no problem %(number)s.") % {"number": number}]})
                problem = found.problem
            data["problem"] = problem
        return data

    def list(self, request):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([known_error_data(k) for k in rows])

    def retrieve(self, request, pk=None):
        return self._response(self.get_object())

    def create(self, request):
        known_error = services.known_error_save(actor=request.user, **self._fields(request, partial=False))
        return self._response(known_error, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        known_error = self.get_object()
        version = if_match_version(request, known_error.version)
        known_error = services.known_error_save(actor=request.user, known_error=known_error, expected_version=version,
                                                **self._fields(request, partial=True))
        return self._response(known_error)

    @extend_schema(summary="Apply the workaround to an incident", parameters=[ID_PATH], request=ApplySerializer,
                   description="Linked to the incident and written to its timeline; with `tell_requester` sent "
                               "to the requester as a public reply (`message`, or the workaround itself).",
                   responses={200: AppliedSerializer, **error_responses(400, 401, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        known_error = self.get_object()
        serializer = ApplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        incident = _visible_incidents(request, [data["incident"]], "incident")[0]
        use = services.known_error_apply(actor=request.user, known_error=known_error, incident=incident,
                                         tell_requester=data["tell_requester"], message=data["message"])
        return Response(AppliedSerializer({"known_error": known_error.pk, "incident": incident.number,
                                           "applied_at": use.applied_at,
                                           "told_requester": use.told_requester}).data)


class SuggestionsView(APIView):
    permission_classes = [IsDeskStaff]

    @extend_schema(summary="Known errors that match an incident, best first",
                   description="Ranked by text similarity of title and description (English and Korean), "
                               "the same CIs or services, and the same category.",
                   parameters=[NUMBER_PATH], responses={200: SuggestionsSerializer, **READ_ERRORS})
    def get(self, request, number: str):
        incident = get_object_or_404(tickets_visible_to(request.user).filter(kind=TicketKind.INCIDENT),
                                     number=_number(number))
        results = [{**m.__dict__, "problem": m.problem_number} for m in suggestions_for_incident(incident)]
        return Response(SuggestionsSerializer({"incident": incident.number, "results": results}).data)


# --- Candidates -----------------------------------------------------------------------------


def candidate_data(candidate: ProblemCandidate, numbers: list[str] | None = None) -> dict:
    """One candidate as the API shows it; ``numbers`` are its incidents when the caller read them for a page."""
    if numbers is None:
        numbers = candidate_incident_numbers([candidate]).get(candidate.pk, [])
    numbers = numbers[:500]
    return CandidateSerializer({**{f: getattr(candidate, f) for f in (
        "id", "title", "reason", "ci", "state", "incident_count", "first_opened_at", "last_opened_at", "created_at")},
        "incidents": numbers, "problem": candidate.problem.ticket.number if candidate.problem_id else None}).data


@extend_schema_view(
    list=extend_schema(summary="Recurring-incident candidates waiting for a decision",
                       responses={200: CandidateSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a candidate", parameters=[ID_PATH],
                           responses={200: CandidateSerializer, **READ_ERRORS}),
)
class CandidateViewSet(viewsets.GenericViewSet):
    queryset = ProblemCandidate.objects.none()
    serializer_class = CandidateSerializer
    permission_classes = [IsDeskStaff]
    pagination_class = KeysetPagination
    keyset_orderings = CANDIDATE_ORDERINGS
    keyset_default_ordering = "-last_opened_at"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return candidates_for(self.request.user).select_related("problem__ticket")

    def get_object(self) -> ProblemCandidate:
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise Http404
        return get_object_or_404(self.get_queryset(), pk=pk)

    def list(self, request):
        rows = self.paginate_queryset(self.get_queryset().filter(state="open"))
        numbers = candidate_incident_numbers(rows)
        return self.get_paginated_response([candidate_data(c, numbers.get(c.pk, [])) for c in rows])

    def retrieve(self, request, pk=None):
        return Response(candidate_data(self.get_object()))

    @extend_schema(summary="Accept: record a problem with the candidate's incidents (problem managers)",
                   parameters=[ID_PATH], request=CandidateAcceptSerializer,
                   responses={201: ProblemDetailSerializer, **error_responses(400, 401, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        candidate = self.get_object()
        serializer = CandidateAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.candidate_accept(actor=request.user, candidate=candidate, **serializer.validated_data)
        return ProblemViewSet(request=request, format_kwarg=None).detail_response(
            ticket, status_code=status.HTTP_201_CREATED)

    @extend_schema(summary="Dismiss: the same incidents are not proposed again (problem managers)",
                   parameters=[ID_PATH], request=None,
                   responses={200: CandidateSerializer, **error_responses(401, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        candidate = services.candidate_dismiss(actor=request.user, candidate=self.get_object())
        return Response(candidate_data(candidate))


