"""The problem lifecycle and its guards, linking rules, RCA, raising changes and bulk resolution."""

from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from changes import services as change_services
from changes.choices import ChangeState, ImplementationOutcome, LinkRelation
from changes.models import Change, ChangeLink
from esm.errors import DomainError, NotPermitted, StaleVersion, TransitionNotAllowed
from incidents.models import PriorityMatrix
from problems import services
from problems.choices import KnownErrorStatus, ProblemState
from problems.models import ProblemIncident
from servicedesk.models import Comment, Ticket, TimelineEntry

pytestmark = pytest.mark.django_db


def move(ticket, actor, to, **kwargs):
    ticket, _result = services.problem_transition(ticket=ticket, actor=actor, to=to, **kwargs)
    return ticket


def test_raised_from_incidents_takes_their_title_cis_and_links_them(problem, incidents, ci):
    assert problem.kind == "problem" and problem.number.startswith("PRB")
    assert problem.title == incidents[0].title
    assert list(problem.cis.all()) == [ci]
    assert set(ProblemIncident.objects.filter(problem_id=problem.pk).values_list("incident__number", flat=True)) \
        == {incidents[0].number, incidents[1].number}
    note = TimelineEntry.objects.filter(ticket=incidents[0], data__note_code="problem_linked").get()
    assert note.data["note_params"] == {"number": problem.number}


def test_priority_comes_from_the_incident_matrix(pm):
    PriorityMatrix.objects.update_or_create(impact=1, urgency=3, defaults={"priority": 1})
    ticket = services.problem_create(actor=pm, title="Disk full", impact=1, urgency=3)
    assert ticket.priority == 1
    ticket = services.problem_update(ticket=ticket, actor=pm, urgency=1)
    assert ticket.priority == 1 and ticket.problem.urgency == 1


def test_an_incident_belongs_to_one_problem(pm, problem, incidents):
    with pytest.raises(DomainError) as refused:
        services.problem_create(actor=pm, incidents=[incidents[0]])
    assert refused.value.code == "already_linked"
    other = services.problem_create(actor=pm, title="Other")
    with pytest.raises(DomainError):
        services.problem_link_incidents(ticket=other, actor=pm, incidents=[incidents[1]])
    assert services.problem_unlink_incident(ticket=problem, actor=pm, incident=incidents[1])
    assert services.problem_link_incidents(ticket=other, actor=pm, incidents=[incidents[1]]) == [incidents[1].number]


def test_only_incidents_can_be_linked(pm, problem):
    other = services.problem_create(actor=pm, title="Other")
    with pytest.raises(ValidationError):
        services.problem_link_incidents(ticket=problem, actor=pm, incidents=[other])


def test_agents_raise_problems_but_only_problem_managers_move_them(agent, incidents):
    ticket = services.problem_create(actor=agent, incidents=[incidents[2]])
    with pytest.raises(NotPermitted):
        move(ticket, agent, ProblemState.INVESTIGATION)
    with pytest.raises(NotPermitted):
        services.problem_record_rca(ticket=ticket, actor=agent, root_cause="x")


def test_requesters_cannot_raise_problems(requester):
    with pytest.raises(NotPermitted):
        services.problem_create(actor=requester, title="Mine")


def test_full_lifecycle_with_guards(pm, problem):
    with pytest.raises(TransitionNotAllowed) as refused:
        move(problem, pm, ProblemState.CLOSED)
    assert refused.value.allowed == ["cancelled", "investigation"]
    problem = move(problem, pm, ProblemState.INVESTIGATION)
    problem = move(problem, pm, ProblemState.KNOWN_ERROR)
    with pytest.raises(DomainError) as refused:
        move(problem, pm, ProblemState.RESOLVED)
    assert refused.value.code == "guard_failed" and refused.value.extra["missing"] == ["successful_change_or_reason"]
    problem = move(problem, pm, ProblemState.RESOLVED, no_change_reason="Vendor patched the service")
    assert not problem.active and problem.resolved_at
    with pytest.raises(DomainError) as refused:
        move(problem, pm, ProblemState.CLOSED)
    assert refused.value.extra["missing"] == ["root_cause"]
    services.problem_record_rca(ticket=problem, actor=pm, rca_method="five_whys", root_cause="Expired certificate",
                                cause_category="configuration",
                                rca_content={"whys": [{"why": "Mail bounced", "answer": "TLS failed"}]})
    problem = move(problem, pm, ProblemState.CLOSED)
    assert problem.state == ProblemState.CLOSED and problem.closed_at


def test_stale_version_is_refused(pm, problem):
    with pytest.raises(StaleVersion):
        move(problem, pm, ProblemState.INVESTIGATION, expected_version=problem.version - 1)


def test_cancel_needs_a_reason(pm, problem):
    with pytest.raises(ValidationError) as refused:
        move(problem, pm, ProblemState.CANCELLED)
    assert "reason" in refused.value.message_dict
    assert move(problem, pm, ProblemState.CANCELLED, reason="Duplicate").state == ProblemState.CANCELLED


def test_resolve_with_a_successfully_closed_change(pm, agent, problem):
    change = services.problem_raise_change(ticket=problem, actor=agent)
    assert ChangeLink.objects.filter(change_id=change.pk, ticket=problem, relation=LinkRelation.ADDRESSES).exists()
    assert change.title == problem.title
    problem = move(problem, pm, ProblemState.INVESTIGATION)
    with pytest.raises(DomainError):
        move(problem, pm, ProblemState.RESOLVED)
    Ticket.objects.filter(pk=change.pk).update(state=ChangeState.CLOSED)
    Change.objects.filter(pk=change.pk).update(outcome=ImplementationOutcome.FAILED)
    with pytest.raises(DomainError):  # a failed change fixes nothing
        move(problem, pm, ProblemState.RESOLVED)
    Change.objects.filter(pk=change.pk).update(outcome=ImplementationOutcome.SUCCESSFUL)
    assert move(problem, pm, ProblemState.RESOLVED).state == ProblemState.RESOLVED


def test_change_from_incident_keeps_working(agent, incidents):
    change = change_services.change_from_incident(actor=agent, incident=incidents[0])
    assert ChangeLink.objects.filter(change_id=change.pk, ticket=incidents[0]).exists()


def test_rca_content_must_fit_its_method(pm, problem):
    with pytest.raises(ValidationError) as refused:
        services.problem_record_rca(ticket=problem, actor=pm, rca_method="fishbone",
                                    rca_content={"causes": {"weather": ["rain"]}})
    assert "rca_content" in refused.value.message_dict
    services.problem_record_rca(ticket=problem, actor=pm, rca_method="fishbone",
                                rca_content={"causes": {"technology": [" cert expired ", ""]}})
    problem.problem.refresh_from_db()
    assert problem.problem.rca_content == {"causes": {"technology": ["cert expired"]}}


def test_resolving_resolves_open_incidents_and_lists_those_that_cannot_move(pm, problem, incidents):
    from incidents import services as incident_services

    problem = move(problem, pm, ProblemState.INVESTIGATION)
    services.problem_link_incidents(ticket=problem, actor=pm, incidents=[incidents[2]])
    real = incident_services.incident_transition

    def refuse_one(*, ticket, **kwargs):
        if ticket.pk == incidents[1].pk:
            raise DomainError("It is locked for review.", code="locked")
        return real(ticket=ticket, **kwargs)

    with mock.patch("incidents.services.incident_transition", side_effect=refuse_one):
        problem, result = services.problem_transition(
            ticket=problem, actor=pm, to=ProblemState.RESOLVED, no_change_reason="Config fixed",
            resolve_incidents=True, incident_note="The mail certificate was renewed.")
    assert result.resolved == [incidents[0].number, incidents[2].number]
    assert result.not_resolved == [{"number": incidents[1].number, "reason": "It is locked for review."}]
    states = dict(Ticket.objects.filter(pk__in=[i.pk for i in incidents]).values_list("number", "state"))
    assert states == {incidents[0].number: "resolved", incidents[1].number: "new", incidents[2].number: "resolved"}
    reply = Comment.objects.get(ticket=incidents[0], public=True)
    assert reply.body == "The mail certificate was renewed."


def test_resolving_with_incidents_needs_the_note(pm, problem):
    problem = move(problem, pm, ProblemState.INVESTIGATION)
    with pytest.raises(ValidationError) as refused:
        move(problem, pm, ProblemState.RESOLVED, no_change_reason="x", resolve_incidents=True)
    assert "incident_note" in refused.value.message_dict
    assert Ticket.objects.get(pk=problem.pk).state == ProblemState.INVESTIGATION


def test_resolving_retires_the_known_errors(pm, problem, make_known_error):
    known_error = make_known_error(title="Bounces", problem=problem.problem)
    opened_version = known_error.version
    problem = move(problem, pm, ProblemState.INVESTIGATION)
    move(problem, pm, ProblemState.RESOLVED, no_change_reason="Fixed by the vendor")
    known_error.refresh_from_db()
    assert known_error.status == KnownErrorStatus.RETIRED and known_error.retired_at
    # An edit form opened before the retirement is stale now.
    assert known_error.version == opened_version + 1


def test_a_cancelled_problem_keeps_its_incidents_and_raises_no_change(pm, agent, problem, incidents):
    problem = move(problem, pm, ProblemState.CANCELLED, reason="Duplicate")
    with pytest.raises(DomainError) as refused:
        services.problem_unlink_incident(ticket=problem, actor=pm, incident=incidents[0])
    assert refused.value.code == "not_active"
    assert ProblemIncident.objects.filter(problem=problem.problem, incident=incidents[0]).exists()
    with pytest.raises(DomainError) as refused:
        services.problem_raise_change(ticket=problem, actor=agent, title="Fix it")
    assert refused.value.code == "not_active" and not ChangeLink.objects.filter(ticket=problem).exists()
