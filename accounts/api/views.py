"""API: tokens, people and teams."""

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import lockout, services
from accounts.filters import TeamFilterSet, UserFilterSet
from accounts.models import Team, User
from accounts.roles import WORK_TICKETS, can_work_tickets
from esm.api import ERR_400, ERR_429
from esm.api_bases import ReadOnlyReferenceViewSet, reference_schema
from esm.throttling import ResilientScopedRateThrottle

from .serializers import AuthTokenCredentialsSerializer, AuthTokenSerializer, TeamSerializer, UserSerializer

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
        token = services.token_for(actor=user)
        return Response({"token": token.key})


# --- People ---------------------------------------------------------------------------------


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
