"""API: satisfaction results and CSAT for managers, survey policies, follow-up, and the public answer.

Results, CSAT and follow-up need ``surveys.view_satisfaction`` (403 otherwise); editing a policy
also ``surveys.change_surveypolicy`` (checked by the service, 403). The answer endpoint is the one
the e-mailed link's holder uses without an account: the signed token is the credential, so it
takes no session or API token, is throttled per client address, and answers 400 for a forged
token and 410 for an expired one. Every write is one service call (rule 1).
"""

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import can_view_satisfaction
from esm.api import (
    IF_MATCH,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorSerializer,
    FieldErrorsSerializer,
    error_responses,
    etag_for,
    if_match_version,
)
from esm.api_bases import ByIdMixin
from esm.pagination import KeysetPagination
from esm.throttling import ResilientScopedRateThrottle
from servicedesk import registry

from .. import links, queries, services
from ..filters import SurveyResultFilterSet
from ..models import AnswerChannel, Survey, SurveyFollowUp, SurveyPolicy
from .serializers import (
    CsatSerializer,
    FollowUpInputSerializer,
    PolicySerializer,
    SurveyAnswerSerializer,
    SurveyDetailSerializer,
    SurveyLinkSerializer,
    SurveyResultSerializer,
)

ID_PATH = OpenApiParameter("id", int, OpenApiParameter.PATH)
KIND_PATH = OpenApiParameter("kind", str, OpenApiParameter.PATH, description="A kind of ticket, e.g. `incident`.")


class CanViewSatisfaction(BasePermission):
    """Team leads, service level managers and administrators."""

    def has_permission(self, request, view):
        return can_view_satisfaction(request.user)


@extend_schema_view(
    list=extend_schema(summary="List answered surveys (satisfaction results)",
                       responses={200: SurveyResultSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get one survey result with its follow-up", parameters=[ID_PATH],
                           responses={200: SurveyDetailSerializer, **READ_ERRORS}),
)
class SurveyResultViewSet(ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [CanViewSatisfaction]
    serializer_class = SurveyResultSerializer
    filterset_class = SurveyResultFilterSet
    pagination_class = KeysetPagination
    keyset_orderings = queries.RESULT_ORDERINGS
    keyset_default_ordering = "-answered_at"
    keyset_ordering_filters = queries.RESULT_ORDERING_FILTERS

    def get_queryset(self):
        results = queries.results_queryset()
        if self.action in ("retrieve", "follow_up"):  # the detail lists every follow-up with its author
            results = results.prefetch_related(
                Prefetch("followups", SurveyFollowUp.objects.select_related("actor").order_by("at", "id")))
        return results

    def get_serializer_class(self):
        return SurveyDetailSerializer if self.action in ("retrieve", "follow_up") else SurveyResultSerializer

    def retrieve(self, request, pk=None):
        survey = self.get_object()
        response = Response(SurveyDetailSerializer(survey).data)
        response["ETag"] = etag_for(survey.version)
        return response

    @extend_schema(summary="Record the follow-up of a low score (contacted or closed, with a note)",
                   parameters=[ID_PATH, IF_MATCH], request=FollowUpInputSerializer,
                   responses={200: SurveyDetailSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        survey = self.get_object()
        expected = if_match_version(request, survey.version)
        serializer = FollowUpInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.survey_follow_up(survey=survey, actor=request.user, expected_version=expected,
                                  **serializer.validated_data)
        survey = self.get_queryset().get(pk=survey.pk)
        response = Response(SurveyDetailSerializer(survey).data)
        response["ETag"] = etag_for(survey.version)
        return response


class CsatView(APIView):
    permission_classes = [CanViewSatisfaction]

    @extend_schema(
        summary="CSAT per month and team, agent, service or kind",
        description="Answers given in the period, by month of answering (in the reader's time zone). CSAT is "
                    "the share of answers scoring 4 or 5 of 5. Team, agent and service are the ticket's when it "
                    "was resolved.",
        parameters=[
            OpenApiParameter("start", str, OpenApiParameter.QUERY, description="First month, `YYYY-MM` "
                             "(default: 11 months before the end)."),
            OpenApiParameter("end", str, OpenApiParameter.QUERY, description="Last month, `YYYY-MM` (default: "
                             "this month); at most five years."),
            OpenApiParameter("group_by", str, OpenApiParameter.QUERY, enum=list(queries.DIMENSIONS),
                             description="Default: team."),
            OpenApiParameter("kind", str, OpenApiParameter.QUERY, description="Only this kind of ticket."),
        ],
        responses={200: CsatSerializer, **error_responses(400, 401, 403)})
    def get(self, request):
        params = request.query_params
        group_by = params.get("group_by", "team")
        errors = {}
        if group_by not in queries.DIMENSIONS:
            errors["group_by"] = [_("Choose one of: %(names)s.") % {"names": ", ".join(queries.DIMENSIONS)}]
        kind = params.get("kind", "")
        if kind and registry.find(kind) is None:
            errors["kind"] = [_("Unknown kind of ticket.")]
        try:
            start, end = queries.month_range(params.get("start", ""), params.get("end", ""))
        except ValueError as exc:
            errors["start"] = [str(exc)]
        if errors:
            raise ValidationError(errors)
        rows = queries.csat(start=start, end=end, dimension=group_by, kind=kind)
        for row in rows:
            row.group_id = None if row.group_id is None else str(row.group_id)
        return Response(CsatSerializer({"start": start, "end": end, "group_by": group_by,
                                         "totals": queries.csat_totals(rows), "rows": rows}).data)


@extend_schema_view(
    list=extend_schema(summary="List survey policies (one per kind of ticket that has one)",
                       responses={200: PolicySerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get the survey policy of a kind", parameters=[KIND_PATH],
                           responses={200: PolicySerializer, **READ_ERRORS}),
)
class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [CanViewSatisfaction]
    serializer_class = PolicySerializer
    pagination_class = KeysetPagination
    keyset_orderings = {"kind": ("kind",)}
    keyset_default_ordering = "kind"
    filter_backends: list = []
    lookup_field = "kind"
    lookup_value_regex = "[a-z_]{1,20}"

    def get_queryset(self):
        return SurveyPolicy.objects.all()

    def retrieve(self, request, kind=None):
        policy = self.get_object()
        response = Response(PolicySerializer(policy).data)
        response["ETag"] = etag_for(policy.version)
        return response

    @extend_schema(summary="Create or edit the survey policy of a kind (service level managers, administrators)",
                   description="Creates the policy when the kind has none. Fields left out keep their value "
                               "(or the default for a new policy).",
                   parameters=[KIND_PATH, IF_MATCH], request=PolicySerializer,
                   responses={200: PolicySerializer, **WRITE_ERRORS})
    def partial_update(self, request, kind=None):
        if registry.find(kind or "") is None:
            raise Http404
        current = SurveyPolicy.objects.filter(kind=kind).first()
        expected = if_match_version(request, current.version) if current else None
        serializer = PolicySerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items()
                  if k in services.POLICY_FIELDS}
        policy = services.policy_save(actor=request.user, kind=kind, expected_version=expected, **fields)
        response = Response(PolicySerializer(policy).data)
        response["ETag"] = etag_for(policy.version)
        return response


# --- The survey answer the signed link uses --------------------------------------------------


class AnswerThrottle(ResilientScopedRateThrottle):
    """Anyone may call the answer endpoint: count per client address (the view names the scope)."""

    scope = "survey_answer"
    rate = "60/min"

    def get_rate(self):
        return self.rate


ERR_LINK_400 = OpenApiResponse(FieldErrorsSerializer, description="Invalid fields; a forged, tampered or malformed "
                                                                 "token is an error on `token`.")
ERR_LINK_410 = OpenApiResponse(ErrorSerializer, description="The link has expired (`code`: `link_expired`).")
ERR_LINK_409 = OpenApiResponse(ErrorSerializer, description="The survey takes no answer now (`survey_expired`, "
                                                           "or `survey_answered` after the 12-hour edit window).")
TOKEN_PARAM = OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True,
                               description="The token of the e-mailed link.")


def _link_error(exc: links.LinkError) -> Response:
    if exc.expired:
        return Response({"detail": _("This survey link has expired."), "code": "link_expired"},
                        status=status.HTTP_410_GONE)
    raise ValidationError({"token": [_("This survey link is not valid.")]})


def _survey_for(token: str) -> Survey:
    ticket_id = links.read_token(token)
    survey = (Survey.objects.select_related("ticket", "requester")
              .filter(ticket_id=ticket_id, invited_at__isnull=False).first())
    if survey is None:
        raise links.LinkError(expired=False)
    return survey


def _link_data(survey: Survey) -> dict:
    return {"ticket_number": survey.ticket.number, "ticket_title": survey.ticket.title,
            "open": services.can_answer(survey, timezone.now()), "score": survey.score, "comment": survey.comment,
            "answered_at": survey.answered_at, "editable_until": services.editable_until(survey),
            "expires_at": survey.expires_at, "comment_required_at_or_below": survey.comment_required_at_or_below}


class SurveyAnswerView(APIView):
    authentication_classes: list = []  # the signed token is the credential
    permission_classes = [AllowAny]
    throttle_classes = [AnswerThrottle]
    throttle_scope = AnswerThrottle.scope

    @extend_schema(summary="Read the survey a link opens (no log-in)", parameters=[TOKEN_PARAM], auth=[],
                   responses={200: SurveyLinkSerializer, 400: ERR_LINK_400, 410: ERR_LINK_410})
    def get(self, request):
        try:
            survey = _survey_for(request.query_params.get("token", ""))
        except links.LinkError as exc:
            return _link_error(exc)
        return Response(SurveyLinkSerializer(_link_data(survey)).data)

    @extend_schema(summary="Answer the survey a link opens, or change the answer within 12 hours (no log-in)",
                   request=SurveyAnswerSerializer, auth=[],
                   responses={200: SurveyLinkSerializer, 400: ERR_LINK_400, 409: ERR_LINK_409, 410: ERR_LINK_410})
    def post(self, request):
        serializer = SurveyAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            survey = _survey_for(data["token"])
        except links.LinkError as exc:
            return _link_error(exc)
        survey = services.survey_answer(survey=survey, actor=survey.requester, score=data["score"],
                                        comment=data["comment"], via=AnswerChannel.LINK)
        return Response(SurveyLinkSerializer(_link_data(survey)).data)
