"""An incident shows the changes raised from it or linked to it: its console page and its API detail."""

import pytest
from django.urls import reverse

from changes import services
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_the_incident_page_and_api_show_the_change_raised_from_it(client, make_incident, agent, team):
    incident = make_incident(title="Disk full on mail-01")
    page = reverse("desk-incidents:detail", args=[incident.number])
    client.force_login(agent)
    assert 'id="linked-changes"' not in client.get(page).content.decode()  # nothing linked yet
    change = services.change_create(actor=agent, from_incident=incident, title="Grow the mail volume")

    html = client.get(page).content.decode()  # the kept page has its panels put in per request
    assert 'id="linked-changes"' in html and change.number in html and "Grow the mail volume" in html

    detail = api_client_for(agent).get(f"/api/v1/incidents/{incident.number}/").json()
    assert [(c["number"], c["relation"]) for c in detail["linked_changes"]] == [(change.number, "addresses")]
    own = api_client_for(incident.requester).get(f"/api/v1/incidents/{incident.number}/").json()
    assert own["linked_changes"] == []  # changes are desk business
