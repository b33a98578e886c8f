"""The timeline backfill, run on a database built at the migrations before it with old-style rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("servicedesk", "0008_ticket_sla_dirty"), ("incidents", "0004_resolution_process_document")]
AFTER = [("servicedesk", "0009_timeline_facts"), ("incidents", "0005_timeline_facts")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db
def test_old_rows_get_team_ids_hold_reasons_note_codes_and_lose_labels():
    old = migrate(BEFORE)
    Team = old.get_model("accounts", "Team")
    User = old.get_model("accounts", "User")
    Ticket = old.get_model("servicedesk", "Ticket")
    Incident = old.get_model("incidents", "Incident")
    Entry = old.get_model("servicedesk", "TimelineEntry")
    first, renamed = Team.objects.create(name="Service desk"), Team.objects.create(name="Network (old name)")
    person = User.objects.create(username="old-timer", email="old@example.com")
    ticket = Ticket.objects.create(kind="incident", number="INC0000900", title="Old", state="resolved",
                                   requester=person, team=renamed, priority=3)
    incident = Incident.objects.create(ticket=ticket, impact=2, urgency=2, channel="phone")
    for reason in ("awaiting_caller", "", "awaiting_vendor", ""):  # the audit trail records each change
        Incident.objects.filter(pk=incident.pk).update(on_hold_reason=reason)
    renamed.name = "Network"
    renamed.save()
    now = timezone.now()

    def entry(kind, **data):
        return Entry.objects.create(ticket=ticket, kind=kind, data=data, at=now).pk

    assigned = entry("assigned", team="Service desk", assignee=None)
    escalated = entry("escalated", from_team="Service desk", team="Network (old name)", reason="Routing")
    hold1 = entry("state", source="in_progress", target="on_hold", note="")
    entry("state", source="on_hold", target="in_progress", note="")
    hold2 = entry("state", source="in_progress", target="on_hold", note="")
    korean = entry("state", source="on_hold", target="resolved", note="상위 인시던트 INC0000001와(과) 함께 해결되었습니다.")
    closed = entry("state", source="resolved", target="closed",
                   note="Closed automatically 5 days after resolution.")
    fields = entry("fields", changes={"priority": {"label": "우선순위", "from": 3, "to": 2}})

    new = migrate(AFTER)
    data = {e.pk: e.data for e in new.get_model("servicedesk", "TimelineEntry").objects.filter(ticket_id=ticket.pk)}
    assert data[assigned]["team_id"] == first.pk
    assert data[escalated]["from_team_id"] == first.pk
    assert data[escalated]["team_id"] == renamed.pk  # renamed since: the ticket's team
    assert data[hold1]["reason"] == "awaiting_caller" and data[hold2]["reason"] == "awaiting_vendor"
    assert data[closed]["note_code"] == "autoclosed" and data[closed]["note_params"] == {"days": "5"}
    assert data[closed]["note"] == ""
    assert data[fields]["changes"] == {"priority": {"from": 3, "to": 2}}
    # Written by a Korean agent, read by anyone in their own language.
    assert data[korean]["note_code"] == "resolved_with_parent"
    assert data[korean]["note_params"] == {"number": "INC0000001"}
