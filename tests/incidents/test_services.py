"""Incident services: every transition and guard, assignment, escalation, parent/child, merge."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts import roles
from accounts.factories import UserFactory
from esm.errors import DomainError, NotPermitted, StaleVersion, TransitionNotAllowed
from incidents import services
from incidents.choices import IncidentState as S
from incidents.choices import OnHoldReason, ResolutionCode
from incidents.models import Incident, PriorityMatrix
from incidents.workflow import INCIDENT_WORKFLOW
from servicedesk.choices import EventKind
from servicedesk.models import Notification, Ticket, TimelineEntry

pytestmark = pytest.mark.django_db


def resolve(ticket, actor, **kw):
    return services.incident_transition(ticket=ticket, actor=actor, to=S.RESOLVED,
                                        resolution_code=kw.pop("code", ResolutionCode.SOLVED_PERMANENTLY),
                                        resolution_notes=kw.pop("notes", "Replaced the cable."), **kw)


def test_open_numbers_priority_and_routing(make_incident, service, team):
    first = make_incident(impact=1, urgency=1, service=service)
    second = make_incident(impact=3, urgency=3)
    assert first.number == "INC0000001" and second.number == "INC0000002"
    assert first.priority == 1 and second.priority == 5
    assert first.state == S.NEW and first.active
    assert first.team == team, "routed to the service's support team"
    assert first.organisation == first.requester.organisation
    assert TimelineEntry.objects.filter(ticket=first, kind=EventKind.CREATED).exists()


def test_priority_follows_admin_matrix(make_incident):
    PriorityMatrix.objects.filter(impact=3, urgency=3).update(priority=4)
    assert make_incident(impact=3, urgency=3).priority == 4


def test_numbers_are_gap_free_when_a_creation_rolls_back(make_incident, requester):
    make_incident()
    with pytest.raises(ValidationError):
        services.incident_open(actor=requester, requester=requester, title="", impact=9, urgency=1)
    assert make_incident().number == "INC0000002"


# serialized_rollback restores the rows data migrations made (roles, CI classes) after the flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_numbers_unique_under_concurrency(requester):
    from django.db import close_old_connections

    numbers, errors = [], []

    def worker():
        try:
            for _ in range(5):
                t = services.incident_open(actor=requester, requester=requester, title="x", impact=3, urgency=3)
                numbers.append(t.number)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == [f"INC{n:07d}" for n in range(1, 21)]


def test_requester_cannot_assign_or_open_for_others(requester, other_requester, team):
    with pytest.raises(NotPermitted):
        services.incident_open(actor=requester, requester=other_requester, title="x", impact=3, urgency=3)
    with pytest.raises(NotPermitted):
        services.incident_open(actor=requester, requester=requester, title="x", impact=3, urgency=3, team=team)


def test_agent_opens_on_behalf_of_caller(agent, requester, team):
    ticket = services.incident_open(actor=agent, requester=requester, title="Phone call", impact=2, urgency=2,
                                    channel="phone", team=team, assignee=agent)
    assert ticket.requester == requester and ticket.assignee == agent
    assert ticket.incident.channel == "phone"


def test_full_lifecycle_with_requester_confirmation(make_incident, agent, team, requester):
    ticket = make_incident()
    services.incident_assign(ticket=ticket, actor=agent, team=team, assignee=agent)
    services.incident_transition(ticket=ticket, actor=agent, to=S.IN_PROGRESS)
    services.incident_transition(ticket=ticket, actor=agent, to=S.ON_HOLD,
                                 on_hold_reason=OnHoldReason.AWAITING_VENDOR)
    services.incident_transition(ticket=ticket, actor=agent, to=S.IN_PROGRESS)
    resolve(ticket, agent)
    ticket.refresh_from_db()
    assert ticket.state == S.RESOLVED and not ticket.active and ticket.resolved_at
    assert ticket.incident.resolution_code == ResolutionCode.SOLVED_PERMANENTLY
    services.incident_transition(ticket=ticket, actor=requester, to=S.CLOSED)
    ticket.refresh_from_db()
    assert ticket.state == S.CLOSED and ticket.closed_at


def test_every_declared_transition_is_reachable_and_others_refused(make_incident, agent, team):
    states = [s.value for s in INCIDENT_WORKFLOW.states]
    declared = {(t.source, t.target) for t in INCIDENT_WORKFLOW.transitions}
    ticket = make_incident()
    for source in [S.NEW, S.IN_PROGRESS]:
        Ticket.objects.filter(pk=ticket.pk).update(state=source)
        ticket.refresh_from_db()
        for target in states:
            if (source, target) not in declared:
                with pytest.raises(TransitionNotAllowed) as exc:
                    services.incident_transition(ticket=ticket, actor=agent, to=target)
                assert set(exc.value.allowed) == {t for s, t in declared if s == source}


def test_resolve_requires_code_and_notes(make_incident, agent):
    ticket = make_incident()
    with pytest.raises(ValidationError) as exc:
        services.incident_transition(ticket=ticket, actor=agent, to=S.RESOLVED)
    assert set(exc.value.message_dict) == {"resolution_code", "resolution_notes"}
    ticket.refresh_from_db()
    assert ticket.state == S.NEW


def test_on_hold_requires_reason(make_incident, agent):
    with pytest.raises(ValidationError) as exc:
        services.incident_transition(ticket=make_incident(), actor=agent, to=S.ON_HOLD)
    assert "on_hold_reason" in exc.value.message_dict


def test_requester_may_only_cancel_confirm_or_reopen(make_incident, requester, agent):
    ticket = make_incident()
    with pytest.raises(TransitionNotAllowed) as exc:
        services.incident_transition(ticket=ticket, actor=requester, to=S.IN_PROGRESS)
    assert exc.value.allowed == [S.CANCELLED]
    resolve(ticket, agent)
    services.incident_transition(ticket=ticket, actor=requester, to=S.IN_PROGRESS, note="Still broken")
    ticket.refresh_from_db()
    assert ticket.state == S.IN_PROGRESS and ticket.resolved_at is None
    assert ticket.incident.resolution_code == ""
    assert ticket.comments.filter(body="Still broken", public=True).exists()


def test_other_requester_cannot_move_ticket(make_incident, other_requester):
    with pytest.raises(TransitionNotAllowed) as exc:
        services.incident_transition(ticket=make_incident(), actor=other_requester, to=S.CANCELLED)
    assert exc.value.allowed == []


def test_stale_version_refused_and_nothing_written(make_incident, agent):
    ticket = make_incident()
    version = ticket.version
    services.incident_update(ticket=ticket, actor=agent, expected_version=version, title="Renamed")
    with pytest.raises(StaleVersion):
        services.incident_update(ticket=ticket, actor=agent, expected_version=version, title="Other")
    ticket.refresh_from_db()
    assert ticket.title == "Renamed" and ticket.version == version + 1


def test_update_rederives_priority_and_records_change(make_incident, agent):
    ticket = make_incident(impact=3, urgency=3)
    services.incident_update(ticket=ticket, actor=agent, impact=1, urgency=1)
    ticket.refresh_from_db()
    assert ticket.priority == 1
    changes = TimelineEntry.objects.filter(ticket=ticket, kind=EventKind.FIELDS).values_list("data", flat=True)
    assert any("priority" in c["changes"] for c in changes)


def test_assignee_must_belong_to_team(make_incident, agent, other_team):
    with pytest.raises(ValidationError) as exc:
        services.incident_assign(ticket=make_incident(), actor=agent, team=other_team, assignee=agent)
    assert "assignee" in exc.value.message_dict


def test_assign_to_me_and_functional_escalation(make_incident, agent, team, other_team):
    ticket = make_incident()
    services.incident_assign_to_me(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team, agent)
    services.incident_escalate(ticket=ticket, actor=agent, level="functional", team=other_team, reason="Network fault")
    ticket.refresh_from_db()
    assert ticket.team == other_team and ticket.assignee is None
    event = TimelineEntry.objects.filter(ticket=ticket, kind=EventKind.ESCALATED).get()
    assert event.data["from_team"] == team.name and event.data["reason"] == "Network fault"


def test_hierarchical_escalation_notifies_lead(make_incident, agent, team, lead, django_capture_on_commit_callbacks):
    ticket = make_incident()
    services.incident_assign(ticket=ticket, actor=agent, team=team)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_escalate(ticket=ticket, actor=agent, level="hierarchical", reason="VIP waiting")
    assert any(lead.email in m.to and "escalated" in m.subject.lower() for m in mail.outbox)


def test_major_only_for_p1(make_incident, lead):
    low = make_incident(impact=3, urgency=3)
    with pytest.raises(DomainError):
        services.incident_set_major(ticket=low, actor=lead, major=True)
    high = make_incident(impact=1, urgency=1)
    services.incident_set_major(ticket=high, actor=lead, major=True)
    assert Incident.objects.get(pk=high.pk).major


@pytest.mark.parametrize("role", [roles.AGENT, roles.PROBLEM_MANAGER])
def test_only_people_who_run_major_incidents_declare_or_clear_them(make_incident, lead, role):
    other = UserFactory(username="someone", roles=[role])
    ticket = make_incident(impact=1, urgency=1)
    with pytest.raises(NotPermitted) as refused:
        services.incident_set_major(ticket=ticket, actor=other, major=True)
    assert refused.value.code == "major_incident_not_permitted"
    assert not Incident.objects.get(pk=ticket.pk).major
    services.incident_set_major(ticket=ticket, actor=lead, major=True)
    with pytest.raises(NotPermitted):
        services.incident_set_major(ticket=ticket, actor=other, major=False)
    assert Incident.objects.get(pk=ticket.pk).major


def test_parent_resolution_cascades_and_blocks_close(make_incident, agent, requester, other_requester):
    parent = make_incident(impact=1, urgency=1)
    child = make_incident(requester=other_requester)
    services.incident_set_parent(ticket=child, actor=agent, parent=parent)
    resolve(parent, agent, notes="Core switch replaced")
    child.refresh_from_db()
    assert child.state == S.RESOLVED
    assert child.incident.resolution_code == ResolutionCode.RESOLVED_WITH_PARENT
    assert Notification.objects.filter(ticket=child, reason="parent_resolved", recipient=other_requester).exists()
    services.incident_transition(ticket=child, actor=other_requester, to=S.IN_PROGRESS)
    with pytest.raises(DomainError) as exc:
        services.incident_transition(ticket=parent, actor=agent, to=S.CLOSED)
    assert exc.value.code == "open_children"


def test_parent_rules(make_incident, agent):
    a, b, c = make_incident(), make_incident(), make_incident()
    with pytest.raises(ValidationError):
        services.incident_set_parent(ticket=a, actor=agent, parent=a)
    services.incident_set_parent(ticket=b, actor=agent, parent=a)
    with pytest.raises(ValidationError):
        services.incident_set_parent(ticket=c, actor=agent, parent=b)  # no grandchildren
    with pytest.raises(ValidationError):
        services.incident_set_parent(ticket=a, actor=agent, parent=c)  # a has children


def test_merge_duplicate(make_incident, agent, other_requester):
    survivor = make_incident()
    duplicate = make_incident(requester=other_requester)
    services.incident_merge(ticket=duplicate, actor=agent, into=survivor)
    duplicate.refresh_from_db()
    assert duplicate.state == S.CLOSED
    assert duplicate.incident.merged_into == survivor
    assert other_requester in survivor.watchers.all()


def test_requester_reply_resumes_awaiting_caller(make_incident, agent, requester):
    ticket = make_incident()
    services.incident_transition(ticket=ticket, actor=agent, to=S.ON_HOLD, on_hold_reason=OnHoldReason.AWAITING_CALLER)
    services.incident_comment(ticket=ticket, actor=requester, body="Here is the screenshot", public=True)
    ticket.refresh_from_db()
    assert ticket.state == S.IN_PROGRESS


def test_requester_cannot_write_work_notes(make_incident, requester):
    with pytest.raises(NotPermitted):
        services.incident_comment(ticket=make_incident(), actor=requester, body="secret", public=False)


def test_closed_incident_takes_no_more_requester_replies_but_agent_notes(make_incident, agent, requester):
    ticket = make_incident()
    services.incident_transition(ticket=ticket, actor=agent, to=S.CANCELLED)
    comments_before = ticket.comments.count()
    with pytest.raises(DomainError) as refused:
        services.incident_comment(ticket=ticket, actor=requester, body="Still broken", public=True)
    assert refused.value.code == "closed"
    assert ticket.comments.count() == comments_before
    services.incident_comment(ticket=ticket, actor=agent, body="Caller phoned again; told to open a new one.",
                              public=False)
    assert ticket.comments.count() == comments_before + 1


def test_autoclose(make_incident, agent):
    old = make_incident()
    recent = make_incident()
    resolve(old, agent)
    resolve(recent, agent)
    Ticket.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=30))
    assert services.autoclose_resolved() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.state == S.CLOSED and recent.state == S.RESOLVED
    assert services.autoclose_resolved() == 0


def test_notifications_only_after_commit(make_incident, requester, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_incident()
    assert mail.outbox == [] and callbacks
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[requester.email]]
    assert Notification.objects.get().sent_at is not None


def test_rolled_back_write_sends_nothing(requester, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
            services.incident_open(actor=requester, requester=requester, title="x", impact=3, urgency=3)
            raise RuntimeError
    assert mail.outbox == [] and not Notification.objects.exists()


def test_open_with_attachments_is_all_or_nothing(requester, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from servicedesk.models import Attachment

    good = SimpleUploadedFile("screen.png", b"png-bytes")
    bad = SimpleUploadedFile("virus.exe", b"MZ")
    with pytest.raises(ValidationError) as exc:
        services.incident_open(actor=requester, requester=requester, title="x", impact=3, urgency=3,
                               attachments=[good, bad])
    assert exc.value.message_dict["attachments"][0].startswith("virus.exe:")
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert not [f for f in settings.MEDIA_ROOT.rglob("*") if f.is_file()], "no file left without its row"
    ticket = services.incident_open(actor=requester, requester=requester, title="x", impact=3, urgency=3,
                                    attachments=[SimpleUploadedFile("screen.png", b"png-bytes")])
    assert [a.name for a in ticket.attachments.all()] == ["screen.png"]


def test_work_note_with_time_and_file(make_incident, agent, requester):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = make_incident()
    note = services.incident_comment(ticket=ticket, actor=agent, body="Swapped the disk", public=False, minutes=25,
                                     attachments=[SimpleUploadedFile("log.txt", b"smart: failing")])
    assert not note.public and note.attachments.get().public is False
    assert ticket.time_entries.get().minutes == 25
    with pytest.raises(ValidationError):
        services.incident_comment(ticket=ticket, actor=agent, body="reply", public=True, minutes=5)
