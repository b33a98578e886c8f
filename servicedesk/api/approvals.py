"""API of the approval engine: "my pending approvals" and the pieces a process's ticket API mounts.

A process adds approvals to its ticket endpoint by mixing ``ApprovalsActionMixin`` into its ticket
ViewSet, whose ``get_object()`` returns a ticket the caller may see (404 otherwise)::

    class ChangeViewSet(ApprovalsActionMixin, viewsets.GenericViewSet):
        ...

That mounts ``GET /<tickets>/<number>/approvals/`` (the overview: rounds → steps → votes and
decisions, and whether the caller can vote now) and ``POST`` the same path with
``{"decision": "approve"|"reject", "comment": "…", "on_behalf_of": <user id>}``: 201 with the
decision, 400 for bad input (a rejection needs a comment), 403 for people who are not approvers
of the pending step or whom the process excludes, 409 when no step is pending or the vote was
already cast. The process's ``approval_decided`` hook moves the ticket in the same transaction.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api.serializers import BriefUserSerializer
from accounts.models import User
from esm.api import error_responses
from esm.api_bases import id_field
from esm.pagination import KeysetPagination
from servicedesk import approvals, registry
from servicedesk.choices import Priority
from servicedesk.models import (
    ApprovalDecision,
    ApprovalDelegation,
    ApprovalPolicy,
    ApprovalStepState,
    Decision,
    VoteState,
)
from servicedesk.rendering import MAX_BODY_CHARS

# --- Serializers ----------------------------------------------------------------------------


class ApproverGroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class ApprovalVoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    approver = PersonSerializer(read_only=True)
    via_group = ApproverGroupRefSerializer(read_only=True, allow_null=True,
                                           help_text=gettext_lazy("The approver group that made them an approver."))
    via_role = serializers.CharField(read_only=True, help_text=gettext_lazy(
        "The role or permission that made them an approver; empty when named or via a group."))
    state = serializers.ChoiceField(choices=VoteState.choices, read_only=True)
    state_label = serializers.CharField(read_only=True)


class ApprovalDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    decided_by = PersonSerializer(read_only=True)
    on_behalf_of = PersonSerializer(read_only=True, allow_null=True,
                                    help_text=gettext_lazy("The approver a delegate decided for."))
    decision = serializers.ChoiceField(choices=Decision.choices, read_only=True)
    decision_label = serializers.CharField(read_only=True)
    comment = serializers.CharField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    context = serializers.DictField(read_only=True, help_text=gettext_lazy(
        "What the process showed when the decision was taken (e.g. a change's risk)."))


class ApprovalStepSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    order = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    policy = serializers.ChoiceField(choices=ApprovalPolicy.choices, read_only=True)
    policy_label = serializers.CharField(read_only=True)
    threshold = serializers.IntegerField(read_only=True, allow_null=True, help_text=gettext_lazy(
        "Approvals a quorum needs, or the percentage of approvers; null for all/any."))
    state = serializers.ChoiceField(choices=ApprovalStepState.choices, read_only=True)
    state_label = serializers.CharField(read_only=True)
    approved = serializers.IntegerField(read_only=True)
    rejected = serializers.IntegerField(read_only=True)
    pending = serializers.IntegerField(read_only=True)
    required = serializers.IntegerField(read_only=True, help_text=gettext_lazy("Approvals that decide the step."))
    context = serializers.DictField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    votes = ApprovalVoteSerializer(many=True, read_only=True)
    decisions = ApprovalDecisionSerializer(many=True, read_only=True)


class ApprovalRoundSerializer(serializers.Serializer):
    round = serializers.IntegerField(read_only=True)
    state = serializers.ChoiceField(choices=ApprovalStepState.choices, read_only=True)
    steps = ApprovalStepSerializer(many=True, read_only=True)


class DelegableVoteSerializer(serializers.Serializer):
    vote_id = serializers.IntegerField(read_only=True)
    approver = PersonSerializer(read_only=True)


class ApprovalOverviewSerializer(serializers.Serializer):
    ticket = serializers.CharField(read_only=True, help_text=gettext_lazy("Ticket number."))
    kind = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=ApprovalStepState.choices, read_only=True, allow_null=True,
                                    help_text=gettext_lazy("State of the latest round; null when none was asked."))
    current_round = serializers.IntegerField(read_only=True, allow_null=True)
    rounds = ApprovalRoundSerializer(many=True, read_only=True)
    can_vote = serializers.BooleanField(read_only=True)
    cannot_vote_reason = serializers.ChoiceField(
        choices=[(k, str(v)) for k, v in approvals.CANNOT_VOTE.items()], read_only=True, allow_null=True)
    cannot_vote_text = serializers.CharField(read_only=True)
    may_decide_for = DelegableVoteSerializer(many=True, read_only=True, help_text=gettext_lazy(
        "Pending approvers the caller may decide for (a chair for their group's members, or anyone with "
        "the permission to decide for others)."))


class ApprovalVoteCreateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True, default="",
                                    help_text=gettext_lazy("Required for a rejection."))
    on_behalf_of = id_field(User.objects.filter(is_active=True), required=False, allow_null=True,
                            help_text=gettext_lazy("Id of the approver you decide for (a chair or a delegate)."))

    def validate(self, attrs):
        if attrs["decision"] == Decision.REJECT and not (attrs.get("comment") or "").strip():
            raise serializers.ValidationError({"comment": [_("Say why you reject it.")]})
        return attrs


class ApprovalDecisionCreatedSerializer(serializers.ModelSerializer):
    decided_by = BriefUserSerializer(read_only=True)
    on_behalf_of = BriefUserSerializer(read_only=True, allow_null=True)
    step = serializers.CharField(source="step.name", read_only=True)

    class Meta:
        model = ApprovalDecision
        fields = ["id", "step", "decided_by", "on_behalf_of", "decision", "comment", "at", "context"]
        read_only_fields = fields


class PendingApprovalSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text=gettext_lazy("Id of your vote."))
    number = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    url = serializers.URLField(read_only=True, allow_null=True,
                               help_text=gettext_lazy("The ticket in the API (its process's detail endpoint)."))
    approvals_url = serializers.URLField(read_only=True, allow_null=True,
                                         help_text=gettext_lazy("Where to read the approval and vote."))
    step = serializers.CharField(read_only=True)
    policy = serializers.ChoiceField(choices=ApprovalPolicy.choices, read_only=True)
    threshold = serializers.IntegerField(read_only=True, allow_null=True)
    round = serializers.IntegerField(read_only=True)
    requested_at = serializers.DateTimeField(read_only=True)
    approver = serializers.IntegerField(read_only=True, help_text=gettext_lazy(
        "Whose vote it is: yours, or that of someone who delegated to you now (send it as `on_behalf_of`)."))


def pending_row(row: dict, request) -> dict:
    """One "awaiting my approval" row for the API, from a ``pending_for`` values() row."""
    process = registry.find(row["kind"])
    url = registry.ticket_url(row["kind"], row["number"], "api")
    absolute = request.build_absolute_uri(url) if url else None
    return {
        "id": row["id"], "number": row["number"], "kind": row["kind"],
        "kind_label": str(process.label) if process else row["kind"], "title": row["title"],
        "priority": row["priority"], "url": absolute, "approvals_url": f"{absolute}approvals/" if absolute else None,
        "step": row["step_name"], "policy": row["policy"], "threshold": row["threshold"], "round": row["round"],
        "requested_at": serializers.DateTimeField().to_representation(row["requested_at"]),
        "approver": row["approver_id"],
    }


# --- Views ----------------------------------------------------------------------------------

KIND = OpenApiParameter("kind", str, OpenApiParameter.QUERY, description="Only tickets of this process.")


@extend_schema(summary="Tickets awaiting my approval, across processes",
               description="Your votes still to cast on steps now waiting for decisions, oldest request first.",
               parameters=[KIND], responses={200: PendingApprovalSerializer(many=True),
                                             **error_responses(400, 401)})
class PendingApprovalViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PendingApprovalSerializer
    pagination_class = KeysetPagination
    keyset_orderings = {"requested": ("id",), "-requested": ("-id",)}
    keyset_default_ordering = "requested"
    filter_backends: list = []

    def get_queryset(self):
        return approvals.pending_for(self.request.user)

    def list(self, request, *args, **kwargs):
        rows = self.get_queryset()
        kind = request.query_params.get("kind")
        if kind is not None:
            if registry.find(kind) is None:
                raise ValidationError({"kind": [_("Choose one of: %(kinds)s.")
                                                % {"kinds": ", ".join(k for k, _label in registry.kind_choices())}]})
            rows = rows.filter(step__ticket__kind=kind)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([pending_row(row, request) for row in page])


class ApprovalsActionMixin:
    """Adds ``approvals/`` (GET overview, POST vote) to a process's ticket ViewSet (module docstring)."""

    @extend_schema(methods=["GET"], summary="The ticket's approval: rounds, steps, votes and decisions",
                   responses={200: ApprovalOverviewSerializer, **error_responses(401, 404)})
    @extend_schema(methods=["POST"], summary="Approve or reject the pending approval step",
                   description="Approvers of the pending step only (403 for others, and for people the process "
                               "excludes, such as the requester). A rejection needs a comment. `on_behalf_of` "
                               "records a decision for another approver: the chair of the group through which "
                               "they sit, or a person allowed to decide for others. 409 when no step is pending.",
                   request=ApprovalVoteCreateSerializer,
                   responses={201: ApprovalDecisionCreatedSerializer, **error_responses(400, 401, 403, 404, 409)})
    @action(detail=True, methods=["get", "post"], url_path="approvals", filter_backends=[], pagination_class=None)
    def approvals(self, request, *args, **kwargs):
        ticket = self.get_object()
        if request.method == "GET":
            return Response(ApprovalOverviewSerializer(approvals.approval_overview(ticket, request.user)).data)
        serializer = ApprovalVoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decision = approvals.approval_vote(actor=request.user, ticket=ticket, decision=data["decision"],
                                           comment=data.get("comment", ""), on_behalf_of=data.get("on_behalf_of"))
        return Response(ApprovalDecisionCreatedSerializer(decision).data, status=status.HTTP_201_CREATED)


# --- Delegation -----------------------------------------------------------------------------


class DelegationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    delegator = PersonSerializer(read_only=True, help_text=gettext_lazy("The approver (you, unless an "
                                                                       "administrator set it up for someone)."))
    delegate = PersonSerializer(read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)
    reason = serializers.CharField(read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    active = serializers.BooleanField(read_only=True, help_text=gettext_lazy("In its period and not ended."))


class DelegationCreateSerializer(serializers.Serializer):
    delegate = serializers.IntegerField(min_value=1)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    delegator = serializers.IntegerField(min_value=1, required=False, help_text=gettext_lazy(
        "Administrators only: whose approvals are delegated (default: yours)."))


def delegation_data(delegation) -> dict:
    from django.utils import timezone

    now = timezone.now()
    return {"id": delegation.pk, "delegator": _brief(delegation.delegator), "delegate": _brief(delegation.delegate),
            "starts_at": delegation.starts_at, "ends_at": delegation.ends_at, "reason": delegation.reason,
            "revoked_at": delegation.revoked_at,
            "active": delegation.revoked_at is None and delegation.starts_at <= now < delegation.ends_at}


def _brief(user) -> dict:
    return {"id": user.pk, "username": user.username, "display_name": user.display_name}


@extend_schema_view(
    list=extend_schema(summary="Delegations of approvals you gave or received",
                       responses={200: DelegationSerializer(many=True), **error_responses(400, 401)}),
    create=extend_schema(summary="Let someone decide your approvals for a period",
                         request=DelegationCreateSerializer,
                         responses={201: DelegationSerializer, **error_responses(400, 401, 403)}),
)
class DelegationViewSet(viewsets.GenericViewSet):
    queryset = ApprovalDelegation.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = DelegationSerializer
    pagination_class = KeysetPagination
    keyset_orderings = {"-starts_at": ("-starts_at", "-id")}
    keyset_default_ordering = "-starts_at"
    filter_backends: list = []

    def get_queryset(self):
        from django.db.models import Q

        user = self.request.user
        return (ApprovalDelegation.objects.filter(Q(delegator=user) | Q(delegate=user))
                .select_related("delegator", "delegate"))

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([DelegationSerializer(delegation_data(d)).data for d in page])

    def create(self, request):
        serializer = DelegationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        delegate = User.objects.filter(pk=data["delegate"], is_active=True).first()
        if delegate is None:
            raise ValidationError({"delegate": [_("There is no active person with this id.")]})
        delegator = None
        if data.get("delegator"):
            delegator = User.objects.filter(pk=data["delegator"]).first()
            if delegator is None:
                raise ValidationError({"delegator": [_("There is no person with this id.")]})
        delegation = approvals.delegation_create(actor=request.user, delegate=delegate, delegator=delegator,
                                                 starts_at=data["starts_at"], ends_at=data["ends_at"],
                                                 reason=data["reason"])
        return Response(DelegationSerializer(delegation_data(delegation)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="End a delegation now (its approver)", request=None,
                   responses={200: DelegationSerializer, **error_responses(401, 403, 404)})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        from django.shortcuts import get_object_or_404

        from esm.api_bases import parse_id

        delegation = get_object_or_404(self.get_queryset(), pk=parse_id(pk) or 0)
        delegation = approvals.delegation_revoke(actor=request.user, delegation=delegation)
        return Response(DelegationSerializer(delegation_data(delegation)).data)
