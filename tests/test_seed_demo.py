"""seed_demo: people in every role, incidents in every state with real-looking timelines, idempotent."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.db.models import F, Max, Min
from django.utils import timezone
from pghistory.models import Events

from accounts import roles
from accounts.demo import DEMO_PASSWORD
from accounts.models import Organisation, Team, User
from cmdb.models import ConfigurationItem
from incidents.choices import IncidentState, OnHoldReason, ResolutionCode
from incidents.demo_data import DAYS_OF_HISTORY
from incidents.models import Incident
from servicedesk.models import Comment, Notification, Ticket, TimeEntry, TimelineEntry

pytestmark = pytest.mark.django_db

INCIDENTS = 40  # enough for every state; the default (300) is timed by hand, see docs/demo.md


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(django_capture_on_commit_callbacks) -> str:
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", incidents=INCIDENTS, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [User, Organisation, Team, ConfigurationItem, Ticket, Incident, Comment, TimeEntry, TimelineEntry,
              Notification, User.groups.through, Team.members.through]
    found = {model.__name__: model.objects.count() for model in models}
    found["audit trail"] = Events.objects.count()
    return found


def test_demo_has_people_in_every_role_and_incidents_in_every_state(django_capture_on_commit_callbacks):
    output = seed(django_capture_on_commit_callbacks)

    for role in roles.ROLE_PERMISSIONS:
        assert Group.objects.get(name=role).user_set.exists(), role
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password(DEMO_PASSWORD)
    assert User.objects.get(username="minji").display_name == "김민지"
    assert Organisation.objects.get(name="Finance").share_tickets
    assert not Organisation.objects.get(name="Sales").share_tickets
    assert Team.objects.get(name="Service Desk").lead.username == "lead"
    assert ConfigurationItem.objects.services().filter(name="그룹웨어", support_team__name="Applications").exists()
    assert DEMO_PASSWORD in output and "minji" in output

    incidents = Ticket.objects.filter(kind="incident")
    assert incidents.count() == INCIDENTS
    for state in IncidentState.values:
        assert incidents.filter(state=state).exists(), state
    for reason in OnHoldReason.values:
        assert Incident.objects.filter(ticket__state=IncidentState.ON_HOLD, on_hold_reason=reason).exists(), reason
    assert incidents.filter(title__contains="메일").exists(), "some incidents are in Korean"
    assert len(set(Incident.objects.values_list("channel", flat=True))) >= 4

    major = Incident.objects.get(major=True, ticket__active=True)
    assert major.ticket.priority == 1
    assert major.ticket.children.count() >= 3
    past_major = Incident.objects.get(major=True, ticket__state=IncidentState.CLOSED)
    assert set(past_major.ticket.children.values_list("incident__resolution_code", flat=True)) == {
        ResolutionCode.RESOLVED_WITH_PARENT}
    assert Incident.objects.filter(merged_into__isnull=False).count() >= 3
    assert TimeEntry.objects.exists() and Comment.objects.filter(public=False).exists()

    # The estate is credited to the seeding, not to the last agent's service (nested pghistory
    # contexts share the outer one's metadata).
    created = Events.objects.across("cmdb.ConfigurationItemEvent").filter(pgh_label="insert")
    contexts = [e.pgh_context or {} for e in created]
    assert contexts and all(c.get("source") == "seed_demo" and not c.get("actor") for c in contexts)
    assert not any(c.get("service") == "incident_open" for c in contexts)


def test_timelines_are_spread_over_the_history_and_consistent(django_capture_on_commit_callbacks):
    seed(django_capture_on_commit_callbacks)
    now = timezone.now()
    tickets = Ticket.objects.all()

    span = tickets.aggregate(first=Min("opened_at"), last=Max("updated_at"))
    assert span["first"] >= now - timedelta(days=DAYS_OF_HISTORY + 1)
    assert span["first"] < now - timedelta(days=DAYS_OF_HISTORY / 2), "opened over weeks, not all today"
    assert span["last"] <= now
    assert not tickets.filter(updated_at__lt=F("opened_at")).exists()
    assert not tickets.filter(resolved_at__lt=F("opened_at")).exists()
    assert not tickets.filter(closed_at__lt=F("resolved_at")).exists()
    assert not TimelineEntry.objects.filter(at__lt=F("ticket__opened_at")).exists()
    assert not TimelineEntry.objects.filter(at__gt=F("ticket__updated_at") + timedelta(seconds=1)).exists()
    assert not Comment.objects.filter(created_at__lt=F("ticket__opened_at")).exists()
    # Resolved incidents are recent enough that the auto-close task leaves them for the demo.
    assert not tickets.filter(state=IncidentState.RESOLVED, resolved_at__lt=now - timedelta(days=5)).exists()
    # Numbers follow the order of opening, as they would have in real life (stories excepted).
    numbers = list(tickets.filter(parent__isnull=True, incident__merged_into__isnull=True)
                   .order_by("opened_at").values_list("number", flat=True))
    assert sum(a < b for a, b in zip(numbers, numbers[1:], strict=False)) >= 0.9 * (len(numbers) - 1)


def test_demo_notifications_stay_in_the_outbox(django_capture_on_commit_callbacks):
    seed(django_capture_on_commit_callbacks)

    assert Notification.objects.exists()
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    assert mail.outbox == []


def test_running_it_again_changes_nothing(django_capture_on_commit_callbacks):
    seed(django_capture_on_commit_callbacks)
    User.objects.filter(username="alice").update(first_name="Alicia")  # a demo user edited since
    before = counts()

    output = seed(django_capture_on_commit_callbacks)

    assert counts() == before
    assert User.objects.get(username="alice").first_name == "Alicia"
    assert "0 created (the demo incidents are already there)" in output
