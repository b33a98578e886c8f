"""Standard-change templates (withdrawn, copy kept) and changes raised from incidents (linked both ways)."""

import pytest
from django.core.exceptions import ValidationError

from changes import services
from changes.choices import LinkRelation
from changes.queries import changes_for_ticket
from esm.errors import NotPermitted

pytestmark = pytest.mark.django_db


def test_a_template_fills_the_change_and_the_change_keeps_its_copy(agent, manager, template):
    ticket = services.change_create(actor=agent, template=template)
    assert ticket.title == "Monthly OS patches" and ticket.team == template.team
    services.template_save(actor=manager, template=template, implementation_plan="New steps")
    ticket.change.refresh_from_db()
    assert ticket.change.implementation_plan == "apt upgrade; reboot"


def test_a_withdrawn_template_cannot_be_used_but_its_changes_go_on(agent, manager, template, started_window):
    ticket = services.change_create(actor=agent, template=template, planned_start=started_window[0])
    services.template_withdraw(actor=manager, template=template)
    with pytest.raises(ValidationError) as refused:
        services.change_create(actor=agent, template=template)
    assert "template" in refused.value.message_dict
    ticket = services.change_transition(ticket=ticket, actor=agent, to="scheduled")
    assert services.change_transition(ticket=ticket, actor=agent, to="implementing").state == "implementing"


def test_only_change_managers_keep_templates(agent, template):
    with pytest.raises(NotPermitted):
        services.template_withdraw(actor=agent, template=template)
    with pytest.raises(NotPermitted):
        services.template_save(actor=agent, name="x", title="x", implementation_plan="x", backout_plan="x")


def test_a_standard_change_needs_a_template(agent):
    with pytest.raises(ValidationError):
        services.change_create(actor=agent, title="Reboot", change_type="standard")


def test_raise_a_change_from_an_incident(make_incident, agent, service, ci):
    from servicedesk import services as desk

    incident = make_incident(service=service)
    desk.ticket_link_cis(ticket=incident, actor=agent, cis=[ci])
    ticket = services.change_from_incident(actor=agent, incident=incident, implementation_plan="Fix",
                                           backout_plan="Undo")
    assert ticket.title == incident.title and ticket.service == service
    assert list(ticket.ci_links.values_list("ci_id", flat=True)) == [ci.pk]
    assert [(link.ticket, link.relation) for link in ticket.change.links.all()] == [(incident,
                                                                                     LinkRelation.ADDRESSES)]
    listed = changes_for_ticket(incident, agent)
    assert [(row["number"], row["relation"]) for row in listed] == [(ticket.number, "addresses")]
    assert changes_for_ticket(incident, incident.requester) == []  # requesters see no changes
