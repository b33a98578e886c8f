"""The change page: who sees it, the moves it offers, and its forms' happy and error paths."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.factories import UserFactory
from changes import services
from changes.choices import ChangeState, ImplementationOutcome, LinkRelation
from changes.models import ChangeLink, FreezeWindow

from .conftest import page, post_versioned

pytestmark = pytest.mark.django_db


def local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def transition_buttons(html: str) -> list[str]:
    """The labels of the moves offered (one form per move, posting ``to``)."""
    return re.findall(r'name="to" value="([a-z_]+)"', html)


def test_page_renders_for_desk_staff(agent_client, make_change, ci):
    ticket = make_change(justification="Security fix", cis=[ci])
    response = agent_client.get(page(ticket))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (ticket.number, "Upgrade the mail server", "Security fix", "Restore the snapshot", "mail-01",
                 "Normal", "Risk"):
        assert text in html


def test_requester_is_sent_to_the_portal_and_unknown_numbers_are_404(client, requester, agent_client,
                                                                     make_change, make_incident):
    ticket = make_change()
    client.force_login(requester)
    assert client.get(page(ticket)).status_code == 302
    agent_client.force_login(UserFactory(roles=[roles.AGENT]))
    assert agent_client.get(reverse("desk-changes:detail", args=["CHG9999999"])).status_code == 404
    incident = make_incident()
    assert agent_client.get(reverse("desk-changes:detail", args=[incident.number])).status_code == 404


def test_only_allowed_moves_are_offered(agent_client, manager_client, make_change, agent, manager):
    ticket = make_change()
    agent_client.force_login(agent)
    html = agent_client.get(page(ticket)).content.decode()
    assert set(transition_buttons(html)) == {ChangeState.ASSESSMENT, ChangeState.CANCELLED}
    assert "Start implementation" not in html
    manager_client.force_login(manager)
    html = manager_client.get(page(ticket)).content.decode()
    assert ChangeState.REJECTED in transition_buttons(html), "change managers may reject"


def test_a_move_with_its_fields(agent_client, make_change, agent):
    ticket = make_change()
    response = post_versioned(agent_client, page(ticket, "transition"), ticket, {"to": ChangeState.ASSESSMENT})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.ASSESSMENT


def test_a_refused_move_shows_why_and_keeps_the_input(agent_client, make_change, cab_rules):
    ticket = make_change(backout_plan="")
    services.change_transition(ticket=ticket, actor=ticket.requester, to=ChangeState.ASSESSMENT)
    response = post_versioned(agent_client, page(ticket, "transition"), ticket, {"to": ChangeState.AUTHORIZATION})
    assert response.status_code == 409
    html = response.content.decode()
    assert "back-out plans" in html
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.ASSESSMENT


def test_scheduling_takes_the_window_and_a_freeze_needs_an_override(agent_client, manager_client, template,
                                                                    agent, manager):
    ticket = services.change_create(actor=agent, template=template)
    start = timezone.now() + timedelta(days=3)
    end = start + timedelta(hours=1)
    FreezeWindow.objects.create(name="Year-end freeze", starts_at=start - timedelta(hours=1),
                                ends_at=end + timedelta(hours=1))
    data = {"to": ChangeState.SCHEDULED, "planned_start": local(start), "planned_end": local(end)}
    manager_client.force_login(manager)
    response = post_versioned(manager_client, page(ticket, "transition"), ticket, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "freeze window" in html and local(start) in html, "the refusal keeps the window typed"
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.NEW
    response = post_versioned(manager_client, page(ticket, "transition"), ticket,
                              {**data, "override_reason": "Board approved the exception"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.SCHEDULED
    assert ticket.change.planned_start is not None


def test_closing_needs_the_review(agent_client, template, agent, started_window):
    ticket = services.change_create(actor=agent, template=template, planned_start=started_window[0],
                                    planned_end=started_window[1])
    for to in (ChangeState.SCHEDULED, ChangeState.IMPLEMENTING):
        services.change_transition(ticket=ticket, actor=agent, to=to)
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.REVIEW,
                               outcome=ImplementationOutcome.SUCCESSFUL_WITH_ISSUES)
    html = agent_client.get(page(ticket)).content.decode()
    assert 'id="id_t_closed_review_notes"' in html
    response = post_versioned(agent_client, page(ticket, "transition"), ticket,
                              {"to": ChangeState.CLOSED, "outcome": ImplementationOutcome.SUCCESSFUL_WITH_ISSUES})
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.REVIEW
    response = post_versioned(agent_client, page(ticket, "transition"), ticket, {
        "to": ChangeState.CLOSED, "outcome": ImplementationOutcome.SUCCESSFUL_WITH_ISSUES,
        "review_notes": "Reboot took longer than planned."})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.CLOSED
    assert ticket.change.review_notes == "Reboot took longer than planned."


def test_cancel_needs_its_confirmation(agent_client, make_change):
    ticket = make_change()
    response = post_versioned(agent_client, page(ticket, "transition"), ticket, {"to": ChangeState.CANCELLED})
    assert response.status_code == 302 and "/confirm/cancelled/" in response["Location"]
    confirm = agent_client.get(response["Location"])
    assert confirm.status_code == 200 and "Keep it" in confirm.content.decode()
    response = post_versioned(agent_client, page(ticket, "transition"), ticket,
                              {"to": ChangeState.CANCELLED, "confirmed": "1", "reason": "Not needed any more"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.CANCELLED


def test_edit_saves_and_field_errors_keep_the_input(agent_client, make_change):
    ticket = make_change()
    base = {"edit-title": "Upgrade the mail server to 2.0", "edit-description": "", "edit-reason": "maintenance",
            "edit-justification": "", "edit-implementation_plan": "Upgrade in place",
            "edit-backout_plan": "Restore the snapshot", "edit-test_plan": "", "edit-service": "",
            "edit-change_manager": ticket.change.change_manager_id, "edit-planned_start": "",
            "edit-planned_end": ""}
    start = timezone.now() + timedelta(days=5)
    bad = {**base, "edit-planned_start": local(start), "edit-planned_end": local(start - timedelta(hours=1))}
    response = post_versioned(agent_client, page(ticket, "edit"), ticket, bad, prefix="edit")
    assert response.status_code == 400
    html = response.content.decode()
    assert "The planned end must be after the planned start." in html and "to 2.0" in html
    response = post_versioned(agent_client, page(ticket, "edit"), ticket, base, prefix="edit")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.title == "Upgrade the mail server to 2.0"


def test_a_stale_edit_keeps_the_input(agent_client, make_change, agent):
    ticket = make_change()
    version = ticket.version
    services.change_update(ticket=ticket, actor=agent, title="Changed meanwhile")
    response = agent_client.post(page(ticket, "edit"), {
        "edit-version": version, "edit-title": "My title", "edit-description": "", "edit-reason": "maintenance",
        "edit-justification": "Mine", "edit-implementation_plan": "Upgrade in place",
        "edit-backout_plan": "Restore the snapshot", "edit-test_plan": "", "edit-service": "",
        "edit-change_manager": ticket.change.change_manager_id, "edit-planned_start": "", "edit-planned_end": ""})
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else" in html and 'value="My title"' in html
    ticket.refresh_from_db()
    assert ticket.title == "Changed meanwhile"


def test_risk_questionnaire_reassesses(agent_client, make_change):
    from changes.models import RiskQuestion

    ticket = make_change()
    questions = list(RiskQuestion.objects.filter(active=True))
    assert questions, "the shipped questionnaire"
    data = {f"risk-q{q.pk}": "yes" if q.risky_answer else "no" for q in questions}
    response = post_versioned(agent_client, page(ticket, "risk"), ticket, data, prefix="risk")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.change.risk_answers and ticket.change.risk_score is not None
    missing = post_versioned(agent_client, page(ticket, "risk"), ticket, {}, prefix="risk")
    assert missing.status_code == 400


def test_links_to_incidents(agent_client, make_change, make_incident):
    ticket = make_change()
    incident = make_incident(title="Mail down")
    response = post_versioned(agent_client, page(ticket, "link"), ticket,
                              {"link-number": incident.number, "link-relation": LinkRelation.CAUSED}, prefix="link")
    assert response.status_code == 302
    assert ChangeLink.objects.filter(change=ticket.change, ticket=incident, relation=LinkRelation.CAUSED).exists()
    assert incident.number in agent_client.get(page(ticket)).content.decode()
    bad = post_versioned(agent_client, page(ticket, "link"), ticket,
                         {"link-number": "INC9999999", "link-relation": LinkRelation.ADDRESSES}, prefix="link")
    assert bad.status_code == 400 and "There is no incident or problem" in bad.content.decode()
    response = agent_client.post(page(ticket, "unlink"), {"number": incident.number, "relation": LinkRelation.CAUSED})
    assert response.status_code == 302
    assert not ChangeLink.objects.filter(change=ticket.change, ticket=incident).exists()


def test_ci_panel_links_and_unlinks(agent_client, make_change, ci):
    ticket = make_change()
    results = agent_client.get(page(ticket, "ci_search"), {"ci_q": "mail"}).content.decode()
    assert "mail-01" in results
    assert agent_client.post(page(ticket, "ci_link"), {"ci": ci.pk}).status_code == 302
    assert ticket.ci_links.filter(ci=ci).exists()
    assert agent_client.post(page(ticket, "ci_unlink"), {"ci": ci.pk}).status_code == 302
    assert not ticket.ci_links.filter(ci=ci).exists()


def test_approval_panel_offers_the_vote_to_cab_members(client, make_change, cab_rules, cab_members, agent):
    ticket = make_change()
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.ASSESSMENT)
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.AUTHORIZATION)
    client.force_login(cab_members[0])
    html = client.get(page(ticket)).content.decode()
    assert reverse("desk:approval_vote") in html and 'value="approve"' in html
    client.force_login(agent)
    html = client.get(page(ticket)).content.decode()
    assert 'value="approve"' not in html


def test_no_inline_scripts_or_handlers(agent_client, make_change):
    html = agent_client.get(page(make_change())).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
