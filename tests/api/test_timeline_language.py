"""Timeline entries store facts; each reader sees them in their own language, whoever wrote them."""

from django.utils import translation

from incidents import services
from incidents.choices import IncidentState as S
from servicedesk.choices import EventKind
from servicedesk.models import TimelineEntry
from tests.conftest import api_client_for

from .conftest import url


def changes_seen(api, number, language) -> dict:
    rows = api.get(url(number, "timeline"), HTTP_ACCEPT_LANGUAGE=language).data["results"]
    return {name: change for r in rows if r["kind"] == EventKind.FIELDS for name, change in r["data"]["changes"].items()}


def test_a_korean_agents_change_reads_english_to_an_english_reader(agent_api, agent, incident, other_agent):
    agent.language = "ko"
    agent.save(update_fields=["language"])
    with translation.override("ko"):
        services.incident_update(ticket=incident, actor=agent, urgency=1)
        services.incident_transition(ticket=incident, actor=agent, to=S.IN_PROGRESS)
        services.incident_transition(ticket=incident, actor=agent, to=S.ON_HOLD, on_hold_reason="awaiting_caller")
    fields = TimelineEntry.objects.filter(ticket=incident, kind=EventKind.FIELDS).first()
    assert all("label" not in change for change in fields.data["changes"].values())  # facts only
    hold = TimelineEntry.objects.filter(ticket=incident, kind=EventKind.STATE).last()
    assert hold.data["reason"] == "awaiting_caller"

    english = changes_seen(api_client_for(other_agent), incident.number, "en")
    assert english["urgency"]["label"] == "urgency" and english["priority"]["label"] == "priority"
    korean = changes_seen(agent_api, incident.number, "ko")
    assert korean["priority"]["label"] == "우선순위" and korean["priority"]["to"] == english["priority"]["to"]


def test_system_notes_are_codes_shown_in_the_readers_language(agent, incident, make_incident):
    parent = make_incident(title="Parent")
    services.incident_set_parent(ticket=incident, actor=agent, parent=parent)
    with translation.override("ko"):
        services.incident_transition(ticket=parent, actor=agent, to=S.RESOLVED, resolution_code="solved_remotely",
                                     resolution_notes="Fixed")
    entry = TimelineEntry.objects.filter(ticket=incident, kind=EventKind.STATE).last()
    assert entry.data["note_code"] == "resolved_with_parent" and entry.data["note"] == ""
    from servicedesk.timeline import note_text

    with translation.override("en"):
        assert note_text(entry.data) == f"Resolved with its parent {parent.number}."
