"""Redis down: writes that queue a task after commit still answer normally and are saved once."""

import pytest

from esm.models import QueueFailure
from incidents.models import Incident
from servicedesk.models import Comment, Notification
from sla.models import SlaDefinition

# Real commits: the after-commit enqueue runs inside the request, as in production.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_api_incident_and_comment_are_created_while_the_broker_is_down(api, requester, agent, team, service,
                                                                       broker_down):
    response = api(requester).post("/api/v1/incidents/", {"title": "Mail is down", "description": "x",
                                                          "impact": 2, "urgency": 2, "service": service.pk},
                                   format="json")
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert Incident.objects.filter(ticket__number=number).exists()
    response = api(agent).post(f"/api/v1/incidents/{number}/comments/", {"body": "Looking"}, format="json")
    assert response.status_code == 201, response.content
    assert Comment.objects.filter(ticket__number=number, body="Looking").exists()
    # The notifications wait in the outbox; the failed publishes are recorded for operators.
    assert broker_down and Notification.objects.filter(sent_at__isnull=True).exists()
    assert QueueFailure.objects.filter(task="servicedesk.send_notification").count() == len(broker_down)


def test_portal_report_is_saved_and_answered_while_the_broker_is_down(client, requester, team, service,
                                                                      broker_down):
    client.force_login(requester)
    response = client.post("/portal/report/", {"title": "Printer jam", "description": "Tray 2", "service": "",
                                                "urgency": "2", "impact": "3"})
    assert response.status_code == 302
    assert Incident.objects.filter(ticket__title="Printer jam").count() == 1
    assert broker_down


def test_sla_definition_change_is_saved_while_the_broker_is_down(api, slm, broker_down):
    definition = SlaDefinition.objects.order_by("id").first()
    response = api(slm).patch(f"/api/v1/sla/definitions/{definition.pk}/", {"active": False}, format="json")
    assert response.status_code == 200, response.content
    definition.refresh_from_db()
    assert definition.active is False
    assert QueueFailure.objects.filter(task="sla.recompute_definition").exists()
