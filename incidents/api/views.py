"""API: incidents — list, open, read, update, and every action an agent takes in the console.

Every queryset starts from ``incidents_visible_to(request.user)``, so a number the caller may not
see is a 404 whatever the action; requesters use the same endpoints for their own tickets. Each
write calls one service (docs/architecture.md, rule 1); ``esm.api.exception_handler`` turns domain errors into
403/409/412 and validation errors into 400. Writes to the incident record honour ``If-Match``.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.api.serializers import BriefUserSerializer
from accounts.models import User
from accounts.roles import can_work_tickets
from cmdb.api.serializers import BriefCISerializer
from cmdb.models import ConfigurationItem
from esm.api import (
    IF_MATCH,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    error_responses,
    etag_for,
    if_match_version,
)
from esm.api_bases import NAME_ORDERINGS, parse_id
from esm.errors import NotPermitted
from esm.pagination import KeysetPagination
from servicedesk import services as desk
from servicedesk.api.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CILinkSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    TimeEntryCreateSerializer,
    TimeEntrySerializer,
    TimelineEntrySerializer,
    TimeTotalsSerializer,
)
from servicedesk.choices import TicketKind
from servicedesk.detail import ticket_row
from servicedesk.models import Attachment, Ticket, TimeEntry
from servicedesk.queries import (
    DEFAULT_TICKET_ORDERING,
    TICKET_ORDERING_FILTERS,
    TICKET_ORDERINGS,
    is_ticket_number,
    ticket_comments,
    ticket_timeline,
)

from .. import services
from ..choices import Channel
from ..filters import IncidentFilterSet
from ..queries import incident_rows_queryset, incidents_visible_to
from .serializers import (
    AssignSerializer,
    EscalateSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentListItemSerializer,
    IncidentUpdateSerializer,
    IncidentUrls,
    MajorSerializer,
    MergeSerializer,
    ParentSerializer,
    RowLookups,
    TransitionSerializer,
    WatcherSerializer,
    incident_brief_row,
    incident_detail_data,
    incident_row,
    incident_url,
)

COMMENT_ORDERINGS = {"created_at": ("created_at", "id"), "-created_at": ("-created_at", "-id")}
TIMELINE_ORDERINGS = {"at": ("at", "id"), "-at": ("-at", "-id")}


ETAG = OpenApiParameter(
    "ETag", str, OpenApiParameter.HEADER, response=[200, 201],
    description='The incident\'s version as `"N"`; send it back as If-Match.',
)
BRIEF = OpenApiParameter("brief", bool, OpenApiParameter.QUERY,
                         description="Return only number, title, state, priority and url per row.")
CI_ID = OpenApiParameter("ci_id", int, OpenApiParameter.PATH, description="Id of the linked configuration item.")
USER_ID = OpenApiParameter("user_id", int, OpenApiParameter.PATH, description="Id of the watcher.")
TRUE_VALUES = {"1", "true", "yes", "on"}

# Shorthands for the schema of actions that answer with the incident.
INCIDENT_WRITE = {"responses": {200: IncidentDetailSerializer, **WRITE_ERRORS}, "parameters": [IF_MATCH, ETAG]}
LIST_ACTION = {"filter_backends": []}  # IncidentFilterSet is for the incident list, not its sub-lists


@extend_schema_view(
    list=extend_schema(summary="List incidents", parameters=[BRIEF],
                       responses={200: IncidentListItemSerializer, **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get an incident", parameters=[ETAG],
                           responses={200: IncidentDetailSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Open an incident", request=IncidentCreateSerializer, parameters=[ETAG],
                         responses={201: IncidentDetailSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(
        summary="Change an incident's fields or assignment", request=IncidentUpdateSerializer,
        description="Agents only. `team` and `assignee` go through assignment: a new team without an "
                    "`assignee` leaves the incident unassigned within that team. All changes apply together "
                    "or not at all.",
        **INCIDENT_WRITE),
)
class IncidentViewSet(viewsets.GenericViewSet):
    queryset = Ticket.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = IncidentDetailSerializer
    filterset_class = IncidentFilterSet
    pagination_class = KeysetPagination
    keyset_orderings = TICKET_ORDERINGS
    keyset_default_ordering = DEFAULT_TICKET_ORDERING
    keyset_ordering_filters = TICKET_ORDERING_FILTERS
    lookup_field = "number"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return incidents_visible_to(self.request.user)

    def get_object(self, queryset=None) -> Ticket:
        number = self.kwargs["number"].strip().upper()
        if not is_ticket_number(number):  # junk (NUL bytes, huge strings) never reaches the database
            raise Http404
        return get_object_or_404(queryset if queryset is not None else self.get_queryset(), number=number)

    def incident_response(self, ticket: Ticket, *, status_code: int = status.HTTP_200_OK, headers=None,
                          reload: bool = True) -> Response:
        """The detail representation with its ETag; after a write, the row is read again (servicedesk.detail)."""
        if reload:
            ticket = ticket_row(self.request.user, kind=TicketKind.INCIDENT, number=ticket.number,
                                select=("incident",))
            if ticket is None:
                raise Http404
        data = incident_detail_data(ticket, self.request)
        return Response(data, status=status_code, headers={"ETag": etag_for(ticket.version), **(headers or {})})

    def is_agent(self) -> bool:
        return can_work_tickets(self.request.user)

    def visible_incident(self, number: str, field: str) -> Ticket:
        found = self.get_queryset().filter(number=number.upper()).first()
        if found is None:
            raise ValidationError({field: [_("There is no incident %(number)s.") % {"number": number.upper()}]})
        return found

    # --- The record -------------------------------------------------------------------------

    def list(self, request):
        brief = request.query_params.get("brief", "").strip().lower() in TRUE_VALUES
        rows = self.paginate_queryset(self.filter_queryset(incident_rows_queryset(request.user, brief=brief)))
        urls = IncidentUrls(request)
        if brief:
            return self.get_paginated_response([incident_brief_row(row, urls) for row in rows])
        lookups, tz = RowLookups(rows), timezone.get_current_timezone()
        return self.get_paginated_response([incident_row(row, urls, lookups, tz) for row in rows])

    def retrieve(self, request, number=None):
        number = self.kwargs["number"].strip().upper()
        if not is_ticket_number(number):  # junk (NUL bytes, huge strings) never reaches the database
            raise Http404
        ticket = ticket_row(request.user, kind=TicketKind.INCIDENT, number=number, select=("incident",))
        if ticket is None:
            raise Http404
        return self.incident_response(ticket, reload=False)

    def create(self, request):
        serializer = IncidentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "channel" in data and not self.is_agent():
            raise NotPermitted(_("Only service desk staff can set the channel."))
        ticket = services.incident_open(
            actor=request.user, requester=data.pop("requester", request.user),
            channel=data.pop("channel", Channel.API), **data,
        )
        return self.incident_response(ticket, status_code=status.HTTP_201_CREATED,
                                      headers={"Location": incident_url(request, ticket.number)})

    def partial_update(self, request, number=None):
        ticket = self.get_object()
        serializer = IncidentUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        ticket = services.incident_update(ticket=ticket, actor=request.user,
                                          expected_version=if_match_version(request, ticket.version),
                                          **serializer.validated_data)
        return self.incident_response(ticket)

    # --- Lifecycle and assignment -----------------------------------------------------------

    @extend_schema(summary="Move an incident to another state", request=TransitionSerializer,
                   description="Illegal moves answer 409 with the `allowed` target states.", **INCIDENT_WRITE)
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        ticket = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.incident_transition(ticket=ticket, actor=request.user,
                                              expected_version=if_match_version(request, ticket.version),
                                              **serializer.validated_data)
        return self.incident_response(ticket)

    @extend_schema(summary="Assign to a team and agent, or to yourself", request=AssignSerializer, **INCIDENT_WRITE)
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        ticket = self.get_object()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        expected = if_match_version(request, ticket.version)
        if data["to_me"]:
            ticket = services.incident_assign_to_me(ticket=ticket, actor=request.user, expected_version=expected)
        else:
            ticket = services.incident_assign(ticket=ticket, actor=request.user, team=data["team"],
                                              assignee=data.get("assignee"), expected_version=expected)
        return self.incident_response(ticket)

    @extend_schema(summary="Escalate functionally (another team) or hierarchically (the team lead)",
                   request=EscalateSerializer, **INCIDENT_WRITE)
    @action(detail=True, methods=["post"])
    def escalate(self, request, number=None):
        ticket = self.get_object()
        serializer = EscalateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.incident_escalate(ticket=ticket, actor=request.user, level=data["level"],
                                            reason=data["reason"], team=data.get("team"),
                                            expected_version=if_match_version(request, ticket.version))
        return self.incident_response(ticket)

    @extend_schema(summary="Declare or stand down a major incident", request=MajorSerializer, **INCIDENT_WRITE)
    @action(detail=True, methods=["post"])
    def major(self, request, number=None):
        ticket = self.get_object()
        serializer = MajorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.incident_set_major(ticket=ticket, actor=request.user,
                                             major=serializer.validated_data["major"],
                                             expected_version=if_match_version(request, ticket.version))
        return self.incident_response(ticket)

    @extend_schema(summary="Link under a parent incident, or unlink", request=ParentSerializer, **INCIDENT_WRITE)
    @action(detail=True, methods=["post"])
    def parent(self, request, number=None):
        ticket = self.get_object()
        serializer = ParentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        parent_number = serializer.validated_data["parent"]
        parent = self.visible_incident(parent_number, "parent") if parent_number else None
        ticket = services.incident_set_parent(ticket=ticket, actor=request.user, parent=parent,
                                              expected_version=if_match_version(request, ticket.version))
        return self.incident_response(ticket)

    @extend_schema(summary="Merge this duplicate into another incident", request=MergeSerializer,
                   **INCIDENT_WRITE)
    @action(detail=True, methods=["post"])
    def merge(self, request, number=None):
        ticket = self.get_object()
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        into = self.visible_incident(serializer.validated_data["into"], "into")
        ticket = services.incident_merge(ticket=ticket, actor=request.user, into=into,
                                         expected_version=if_match_version(request, ticket.version))
        return self.incident_response(ticket)

    # --- Conversation -----------------------------------------------------------------------

    @extend_schema(summary="List comments (requesters see public replies only)",
                   responses={200: CommentSerializer(many=True), **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["get"], keyset_orderings=COMMENT_ORDERINGS, keyset_default_ordering="created_at",
            **LIST_ACTION)
    def comments(self, request, number=None):
        ticket = self.get_object()
        comments = ticket_comments(ticket, public_only=not self.is_agent())
        page = self.paginate_queryset(comments)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(summary="Add a public reply or (agents) a work note", request=CommentCreateSerializer,
                   responses={201: CommentSerializer, **error_responses(400, 401, 403, 404)})
    @comments.mapping.post
    def add_comment(self, request, number=None):
        ticket = self.get_object()
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.incident_comment(ticket=ticket, actor=request.user, **serializer.validated_data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="List attachments (requesters see public ones only)",
                   responses={200: AttachmentSerializer(many=True), **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["get"], keyset_orderings=COMMENT_ORDERINGS, keyset_default_ordering="created_at",
            parser_classes=[MultiPartParser], **LIST_ACTION)
    def attachments(self, request, number=None):
        ticket = self.get_object()
        attachments = Attachment.objects.filter(ticket=ticket).select_related("uploaded_by")
        if not self.is_agent():
            attachments = attachments.filter(public=True)
        page = self.paginate_queryset(attachments)
        return self.get_paginated_response(AttachmentSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(summary="Upload an attachment", request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: AttachmentSerializer, **error_responses(400, 401, 403, 404)})
    @attachments.mapping.post
    def add_attachment(self, request, number=None):
        ticket = self.get_object()
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > settings.ATTACHMENT_MAX_BYTES + 64 * 1024:
            # Refuse before reading the body: the service would refuse the file anyway.
            raise ValidationError({"file": [_("The file is larger than %(mb)s MB.")
                                            % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}]})
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        attachment = desk.attachment_add(ticket=ticket, actor=request.user, upload=data["file"],
                                         public=data["public"])
        return Response(AttachmentSerializer(attachment, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(summary="The incident's history (requesters see public entries only)",
                   responses={200: TimelineEntrySerializer(many=True), **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["get"], keyset_orderings=TIMELINE_ORDERINGS, keyset_default_ordering="at",
            **LIST_ACTION)
    def timeline(self, request, number=None):
        ticket = self.get_object()
        entries = ticket_timeline(ticket, public_only=not self.is_agent())
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)

    # --- Time worked (agents) ---------------------------------------------------------------

    @extend_schema(summary="Time worked: total and per agent (agents only)",
                   responses={200: TimeTotalsSerializer, **READ_ERRORS})
    @action(detail=True, methods=["get"], url_path="time-entries")
    def time_entries(self, request, number=None):
        ticket = self.get_object()
        desk.require_agent(request.user)
        rows = list(TimeEntry.objects.filter(ticket=ticket).values("agent").annotate(minutes=Sum("minutes"))
                    .order_by("agent"))
        agents = User.objects.in_bulk([row["agent"] for row in rows])
        totals = {
            "total_minutes": sum(row["minutes"] for row in rows),
            "by_agent": [{"agent": agents[row["agent"]], "minutes": row["minutes"]} for row in rows],
        }
        return Response(TimeTotalsSerializer(totals).data)

    @extend_schema(summary="Record time worked, with a work note (agents only)", request=TimeEntryCreateSerializer,
                   responses={201: TimeEntrySerializer, **error_responses(400, 401, 403, 404)})
    @time_entries.mapping.post
    def add_time_entry(self, request, number=None):
        ticket = self.get_object()
        serializer = TimeEntryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():  # the entry and its work note are written together or not at all
            entry = desk.time_entry_add(ticket=ticket, actor=request.user, **serializer.validated_data)
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    # --- Configuration items ----------------------------------------------------------------

    @extend_schema(summary="Configuration items linked to the incident",
                   responses={200: BriefCISerializer(many=True), **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["get"], keyset_orderings=NAME_ORDERINGS, keyset_default_ordering="name",
            **LIST_ACTION)
    def cis(self, request, number=None):
        ticket = self.get_object()
        page = self.paginate_queryset(ConfigurationItem.objects.filter(ticket_links__ticket=ticket))
        return self.get_paginated_response(BriefCISerializer(page, many=True).data)

    @extend_schema(summary="Link configuration items (agents only)", request=CILinkSerializer,
                   responses={200: IncidentDetailSerializer, **error_responses(400, 401, 403, 404)}, parameters=[ETAG])
    @cis.mapping.post
    def link_cis(self, request, number=None):
        ticket = self.get_object()
        serializer = CILinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            desk.ticket_link_cis(ticket=ticket, actor=request.user, cis=serializer.validated_data["cis"])
        return self.incident_response(ticket)

    # --- Watchers --------------------------------------------------------------------------

    @extend_schema(summary="People watching the incident",
                   responses={200: BriefUserSerializer(many=True), **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["get"], keyset_orderings={"name": ("first_name", "last_name", "id")},
            keyset_default_ordering="name", **LIST_ACTION)
    def watchers(self, request, number=None):
        ticket = self.get_object()
        page = self.paginate_queryset(User.objects.filter(watched_tickets=ticket))
        return self.get_paginated_response(BriefUserSerializer(page, many=True).data)

    @extend_schema(summary="Add a watcher", request=WatcherSerializer,
                   description="Watchers get the incident's public updates and may read it. Omit `user` to "
                               "watch it yourself; only agents add other people.",
                   responses={204: None, **error_responses(400, 401, 403, 404)})
    @watchers.mapping.post
    def add_watcher(self, request, number=None):
        ticket = self.get_object()
        serializer = WatcherSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data.get("user") or request.user
        desk.ticket_watch(ticket=ticket, actor=request.user, user=user, watching=True)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Remove a watcher", parameters=[USER_ID],
                   description="Anyone may stop watching; only agents remove other people.",
                   responses={204: None, **error_responses(401, 403, 404)})
    @action(detail=True, methods=["delete"], url_path=r"watchers/(?P<user_id>[^/]+)")
    def remove_watcher(self, request, number=None, user_id=None):
        ticket = self.get_object()
        pk = parse_id(user_id)
        user = User.objects.filter(pk=pk).first() if pk else None
        if user is None:
            raise Http404
        desk.ticket_watch(ticket=ticket, actor=request.user, user=user, watching=False)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Unlink a configuration item (agents only)", parameters=[CI_ID],
                   responses={204: None, **error_responses(401, 403, 404)})
    @action(detail=True, methods=["delete"], url_path=r"cis/(?P<ci_id>[^/]+)")
    def unlink_ci(self, request, number=None, ci_id=None):
        ticket = self.get_object()
        pk = parse_id(ci_id)
        if pk is None:
            raise Http404
        ci = get_object_or_404(ConfigurationItem, pk=pk)
        with transaction.atomic():
            desk.ticket_unlink_ci(ticket=ticket, actor=request.user, ci=ci)
        return Response(status=status.HTTP_204_NO_CONTENT)
