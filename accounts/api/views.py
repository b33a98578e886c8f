"""API: tokens, people and teams; and the read-only list plumbing the other apps' APIs build on."""

import django_filters as filters
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import lockout
from accounts.models import Team, User
from accounts.roles import WORK_TICKETS, can_work_tickets
from esm.api import ERR_400, ERR_429, LIST_ERRORS, READ_ERRORS
from esm.pagination import KeysetPagination
from esm.throttling import ResilientScopedRateThrottle

from .serializers import AuthTokenCredentialsSerializer, AuthTokenSerializer, TeamSerializer, UserSerializer, parse_id

# --- Shared list plumbing -------------------------------------------------------------------


NAME_ORDERINGS = {"name": ("name", "id"), "id": ("id",)}


class ReadOnlyReferenceViewSet(viewsets.ReadOnlyModelViewSet):
    """List and retrieve by id; filters and ordering apply to the list only."""

    pagination_class = KeysetPagination
    keyset_orderings = NAME_ORDERINGS
    keyset_default_ordering = "name"
    lookup_value_regex = "[^/]+"  # anything routes here, so a bad id is a JSON 404, not an HTML page

    def get_object(self):
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise Http404
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(self.request, obj)
        return obj


def reference_schema(serializer, singular: str, plural: str):
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}", responses={200: serializer, **LIST_ERRORS}),
        retrieve=extend_schema(summary=f"Get one {singular}", responses={200: serializer, **READ_ERRORS},
                               parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]),
    )


# --- Tokens ---------------------------------------------------------------------------------


class AuthTokenView(APIView):
    """Exchange a username and password for the API token of that person (created on first use)."""

    authentication_classes: list = []  # credentials travel in the body; no session, so no CSRF
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ResilientScopedRateThrottle]  # still limits while Redis is down
    throttle_scope = "auth_token"

    @extend_schema(
        summary="Get an API token",
        request=AuthTokenCredentialsSerializer,
        responses={200: AuthTokenSerializer, 400: ERR_400, 429: ERR_429},
        auth=[],
    )
    def post(self, request):
        serializer = AuthTokenCredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = lockout.authenticate(request._request, username=serializer.validated_data["username"],
                                        password=serializer.validated_data["password"], path="api_token")
        except lockout.LoginLocked as exc:
            body = {"detail": exc.detail, "code": exc.code, **exc.extra}
            return Response(body, status=exc.status_code, headers={"Retry-After": str(exc.extra["retry_after"])})
        if user is None:  # wrong password, unknown or disabled account: one answer for all
            raise ValidationError({"non_field_errors": [_("Unable to log in with the provided credentials.")]})
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


# --- People ---------------------------------------------------------------------------------


class UserFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=100, label=_("Search"),
                           help_text=_("Part of the username, name or e-mail address."))
    team_id = filters.ModelChoiceFilter(field_name="teams", queryset=Team.objects.all(), label=_("Team"))

    class Meta:
        model = User
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(first_name__icontains=value)
                               | Q(last_name__icontains=value) | Q(email__icontains=value))


def _is_agent():
    """The rule of accounts.roles.can_work_tickets, as SQL, so a list costs no query per person."""
    app_label, codename = WORK_TICKETS.split(".")
    work = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (Q(is_superuser=True) | Exists(work.filter(group__user=OuterRef("pk")))
            | Exists(work.filter(user=OuterRef("pk"))))


@reference_schema(UserSerializer, "user", "users")
class UserViewSet(ReadOnlyReferenceViewSet):
    """Agents see every active person (to assign and to open incidents for callers); others only themselves."""

    queryset = User.objects.none()
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    keyset_orderings = {"name": ("first_name", "last_name", "id"), "username": ("username", "id"), "id": ("id",)}

    def get_queryset(self):
        user = self.request.user
        qs = User.objects.filter(is_active=True).select_related("organisation").annotate(is_agent=_is_agent())
        return qs if can_work_tickets(user) else qs.filter(pk=user.pk)


class TeamFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100, label=_("Search"))
    active = filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Team
        fields: list[str] = []


@reference_schema(TeamSerializer, "team", "teams")
class TeamViewSet(ReadOnlyReferenceViewSet):
    """Assignment groups. Member ids are shown to people who work tickets."""

    queryset = Team.objects.none()
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet

    def get_queryset(self):
        qs = Team.objects.select_related("lead")
        if can_work_tickets(self.request.user):
            qs = qs.prefetch_related(Prefetch("members", queryset=User.objects.only("id").order_by()))
        return qs

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "show_members": can_work_tickets(self.request.user)}
