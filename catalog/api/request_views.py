"""API: service requests (order, list, read, cancel, approvals) and fulfilment tasks (list, read,
move, assign).

Requests: anyone signed in orders; a requester sees the requests ordered by or for them (and those
they are asked to approve), desk staff all — anyone else's is a 404. Tasks are desk work (403 for
others). Every write is one service call (rule 1); writes to a ticket honour ``If-Match`` (412).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.models import Team, User
from accounts.roles import can_work_tickets
from esm.api import (
    IF_MATCH,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    error_responses,
    etag_for,
    if_match_version,
    item_field_errors,
)
from esm.errors import TransitionNotAllowed
from servicedesk.api.approvals import ApprovalsActionMixin
from servicedesk.models import Ticket
from servicedesk.queries import is_ticket_number
from servicedesk.services import actor_roles

from .. import fulfilment, request_queries
from ..choices import RequestedItemState, RequestState, TaskState
from ..models import CatalogItem, FulfilmentTask
from ..request_filters import RequestFilterSet, TaskFilterSet
from ..request_workflow import REQUEST_WORKFLOW, TASK_WORKFLOW
from .request_serializers import (
    RequestCreateSerializer,
    RequestDetailSerializer,
    RequestListItemSerializer,
    RequestTransitionSerializer,
    TaskAssignSerializer,
    TaskDetailSerializer,
    TaskListItemSerializer,
    TaskTransitionSerializer,
)

ETAG = OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200, 201],
                        description='The version to send back in If-Match (`"version"`).')


class IsDeskStaff(BasePermission):
    def has_permission(self, request, view):
        return can_work_tickets(request.user)


def _number(raw: str) -> str:
    number = (raw or "").strip().upper()
    if not is_ticket_number(number):
        raise Http404
    return number


def _person(user) -> dict | None:
    return {"id": user.pk, "username": user.username, "display_name": user.display_name} if user else None


def _team(team) -> dict | None:
    return {"id": team.pk, "name": team.name} if team else None


def _actions(ticket: Ticket, workflow, user) -> list[dict]:
    roles = actor_roles(ticket=ticket, actor=user)
    return [{"target": t.target, "label": str(t.label)} for t in workflow.transitions_from(ticket.state, roles)]


def request_row(ticket: Ticket, request) -> dict:
    return {
        "number": ticket.number, "title": ticket.title, "state": ticket.state,
        "state_label": str(RequestState(ticket.state).label), "priority": ticket.priority,
        "requester": _person(ticket.requester), "requested_for": _person(ticket.service_request.requested_for),
        "assignee": _person(ticket.assignee), "opened_at": ticket.opened_at, "updated_at": ticket.updated_at,
        "closed_at": ticket.closed_at,
        "url": request.build_absolute_uri(reverse("request-detail", args=[ticket.number])),
    }


def _task_brief(task: FulfilmentTask, depends: dict) -> dict:
    t = task.ticket
    return {"number": t.number, "title": t.title, "state": t.state, "state_label": str(TaskState(t.state).label),
            "team": _team(t.team), "assignee": _person(t.assignee), "depends_on": depends.get(task.pk, [])}


def _dependencies(ticket_ids) -> dict[int, list[str]]:
    through = FulfilmentTask.depends_on.through.objects.filter(from_fulfilmenttask_id__in=ticket_ids) \
        .values_list("from_fulfilmenttask_id", "to_fulfilmenttask__ticket__number")
    found: dict[int, list[str]] = {}
    for task_id, number in through:
        found.setdefault(task_id, []).append(number)
    return found


def request_detail(ticket: Ticket, request) -> dict:
    items = request_queries.request_items(ticket)
    depends = _dependencies([t.pk for i in items for t in i.task_list])
    copied = ticket.service_request.copied_from
    return {
        **request_row(ticket, request), "description": ticket.description, "version": ticket.version,
        "copied_from": copied.number if copied else None,
        "items": [{
            "id": i.pk, "item": {"id": i.item_id, "name": i.name}, "quantity": i.quantity, "state": i.state,
            "state_label": str(RequestedItemState(i.state).label), "form_version": i.form_version_id,
            "unit_price": i.unit_price, "currency": i.currency, "answers": i.snapshot or [],
            "tasks": [_task_brief(t, depends) for t in i.task_list],
        } for i in items],
        "actions": _actions(ticket, REQUEST_WORKFLOW, request.user),
    }


@extend_schema_view(
    list=extend_schema(summary="List service requests you may see",
                       responses={200: RequestListItemSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a service request with its items, answers and tasks", parameters=[ETAG],
                           responses={200: RequestDetailSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Order: one request with one item per line", request=RequestCreateSerializer,
        description="Each line is checked against its item's current form; errors come back at their place: "
                    '`{"items": [{}, {"answers": …, "quantity": […]}], "requested_for": […]}` '
                    "(one object per line, empty when the line is fine).",
        responses={201: RequestDetailSerializer, 400: item_field_errors("OrderErrors", "items"),
                   **error_responses(401, 403)}),
)
class RequestViewSet(ApprovalsActionMixin, viewsets.GenericViewSet):
    queryset = Ticket.objects.none()
    serializer_class = RequestDetailSerializer
    filterset_class = RequestFilterSet
    keyset_orderings = request_queries.REQUEST_ORDERINGS
    keyset_default_ordering = request_queries.DEFAULT_REQUEST_ORDERING
    lookup_field = "number"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return request_queries.requests_visible_to(self.request.user)

    def get_object(self) -> Ticket:
        return get_object_or_404(self.get_queryset().select_related(
            "requester", "assignee", "service_request__requested_for", "service_request__copied_from"),
            number=_number(self.kwargs["number"]))

    def detail_response(self, ticket: Ticket, status_code=status.HTTP_200_OK) -> Response:
        self.kwargs["number"] = ticket.number
        ticket = self.get_object()
        return Response(RequestDetailSerializer(request_detail(ticket, self.request)).data, status=status_code,
                        headers={"ETag": etag_for(ticket.version)})

    def list(self, request):
        rows = self.paginate_queryset(self.filter_queryset(request_queries.request_rows(request.user)))
        return self.get_paginated_response([request_row(t, request) for t in rows])

    def retrieve(self, request, number=None):
        return self.detail_response(self.get_object())

    def create(self, request):
        serializer = RequestCreateSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(self._body_errors(serializer.errors), status=status.HTTP_400_BAD_REQUEST)
        data = serializer.validated_data
        lines, errors = self._lines(data["items"])
        requested_for = None
        if data.get("requested_for"):
            requested_for = User.objects.filter(pk=data["requested_for"], is_active=True).first()
            if requested_for is None:
                errors_for = {"requested_for": [_("There is no active person with this id.")]}
                return Response({"items": [{} for _line in lines], **errors_for}, status=400)
        if any(errors):
            return Response({"items": errors}, status=status.HTTP_400_BAD_REQUEST)
        try:
            ticket = fulfilment.request_submit(actor=request.user, lines=lines, requested_for=requested_for)
        except fulfilment.OrderInvalid as exc:
            return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
        response = self.detail_response(ticket, status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(reverse("request-detail", args=[ticket.number]))
        return response

    @staticmethod
    def _body_errors(errors) -> dict:
        """Errors of the whole ``items`` list (empty, too long) go to ``non_field_errors``: ``items``
        holds one object per line."""
        errors = dict(errors)
        if isinstance(errors.get("items"), dict):
            errors["non_field_errors"] = list(errors.pop("items").get("non_field_errors", []))
        return errors

    @staticmethod
    def _lines(raw_lines):
        items = CatalogItem.objects.select_related("current_form").in_bulk([line["item"] for line in raw_lines])
        lines, errors = [], []
        for line in raw_lines:
            item = items.get(line["item"])
            errors.append({} if item is not None else {"item": [_("There is no such catalog item.")]})
            lines.append(fulfilment.OrderLine(item=item, quantity=line["quantity"], answers=line["answers"]))
        return lines, errors

    @extend_schema(summary="Cancel a request (the only move people take; the rest follows its items)",
                   request=RequestTransitionSerializer, parameters=[IF_MATCH],
                   description="`to: cancelled` — the requester while it awaits approval, desk staff also during "
                               "fulfilment. Other targets answer 409 with the `allowed` ones.",
                   responses={200: RequestDetailSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        ticket = self.get_object()
        serializer = RequestTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        expected = if_match_version(request, ticket.version)
        if data["to"] != RequestState.CANCELLED:
            allowed = [a["target"] for a in _actions(ticket, REQUEST_WORKFLOW, request.user)]
            raise TransitionNotAllowed(_("A request moves by itself as its items are approved and delivered; "
                                         "you can only cancel it."), allowed=allowed)
        ticket = fulfilment.request_cancel(ticket=ticket, actor=request.user, reason=data["reason"],
                                           expected_version=expected)
        return self.detail_response(ticket)


def task_row(ticket: Ticket, request) -> dict:
    return {
        "number": ticket.number, "title": ticket.title, "state": ticket.state,
        "state_label": str(TaskState(ticket.state).label), "priority": ticket.priority, "team": _team(ticket.team),
        "assignee": _person(ticket.assignee), "request": ticket.parent.number if ticket.parent_id else None,
        "opened_at": ticket.opened_at, "updated_at": ticket.updated_at,
        "url": request.build_absolute_uri(reverse("task-detail", args=[ticket.number])),
    }


@extend_schema_view(
    list=extend_schema(summary="List fulfilment tasks (desk staff)",
                       responses={200: TaskListItemSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a fulfilment task with its request's answers", parameters=[ETAG],
                           responses={200: TaskDetailSerializer, **READ_ERRORS}),
)
class TaskViewSet(viewsets.GenericViewSet):
    queryset = Ticket.objects.none()
    serializer_class = TaskDetailSerializer
    permission_classes = [IsDeskStaff]
    filterset_class = TaskFilterSet
    keyset_orderings = request_queries.TASK_ORDERINGS
    keyset_default_ordering = request_queries.DEFAULT_TASK_ORDERING
    lookup_field = "number"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return request_queries.tasks_visible_to(self.request.user)

    def get_object(self) -> Ticket:
        return get_object_or_404(self.get_queryset().select_related("team", "assignee", "parent"),
                                 number=_number(self.kwargs["number"]))

    def detail_response(self, ticket: Ticket) -> Response:
        self.kwargs["number"] = ticket.number
        ticket = self.get_object()
        data = {**task_row(ticket, self.request), "description": ticket.description, "version": ticket.version,
                "closed_at": ticket.closed_at, "depends_on": _dependencies([ticket.pk]).get(ticket.pk, []),
                "request_items": request_queries.answers_of(ticket.parent) if ticket.parent_id else [],
                "actions": _actions(ticket, TASK_WORKFLOW, self.request.user)}
        return Response(TaskDetailSerializer(data).data, headers={"ETag": etag_for(ticket.version)})

    def list(self, request):
        rows = self.paginate_queryset(self.filter_queryset(request_queries.task_rows(request.user)))
        return self.get_paginated_response([task_row(t, request) for t in rows])

    def retrieve(self, request, number=None):
        return self.detail_response(self.get_object())

    @extend_schema(summary="Move a task: start, stop, close complete or incomplete, skip",
                   request=TaskTransitionSerializer, parameters=[IF_MATCH],
                   description="Closing incomplete or skipping needs a `note`. Closing a task opens the tasks that "
                               "waited for it and rolls up its request. 409 with `allowed` for other moves.",
                   responses={200: TaskDetailSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        ticket = self.get_object()
        serializer = TaskTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = fulfilment.task_transition(ticket=ticket, actor=request.user, to=data["to"], note=data["note"],
                                            expected_version=if_match_version(request, ticket.version))
        return self.detail_response(ticket)

    @extend_schema(summary="Assign a task to a team and optionally one of its members",
                   request=TaskAssignSerializer, parameters=[IF_MATCH],
                   responses={200: TaskDetailSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        ticket = self.get_object()
        serializer = TaskAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        team = Team.objects.filter(pk=data["team"]).first() if data.get("team") else None
        assignee = User.objects.filter(pk=data["assignee"]).first() if data.get("assignee") else None
        errors = {}
        if data.get("team") and team is None:
            errors["team"] = [_("There is no such team.")]
        if data.get("assignee") and assignee is None:
            errors["assignee"] = [_("There is no such person.")]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        ticket = fulfilment.task_assign(ticket=ticket, actor=request.user, team=team, assignee=assignee,
                                        expected_version=if_match_version(request, ticket.version))
        return self.detail_response(ticket)
