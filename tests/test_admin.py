"""Django admin: staff only, every page opens, tickets are read-only, changelists run flat query counts."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pghistory.models import Events

from accounts import roles
from accounts.factories import OrganisationFactory, TeamFactory, UserFactory
from accounts.models import Organisation, Team, User
from cmdb.factories import CIFactory
from cmdb.models import CIClass, ConfigurationItem
from incidents.models import Incident, PriorityMatrix
from incidents.services import incident_open
from servicedesk.factories import CategoryFactory
from servicedesk.models import Category, Notification, Ticket

pytestmark = pytest.mark.django_db

OUR_MODELS = [User, Organisation, Team, CIClass, ConfigurationItem, Category, Ticket, Notification, Incident,
              PriorityMatrix]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def some_incident(agent, team, service, requester):
    return incident_open(actor=agent, requester=requester, title="메일 서버 장애", impact=1, urgency=1,
                         service=service, team=team, assignee=agent)


def test_staff_can_open_every_changelist(admin_client, some_incident):
    assert {*OUR_MODELS, Events} <= set(admin.site._registry)
    for model in admin.site._registry:
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model


def test_staff_can_open_a_change_page_of_every_model(admin_client, some_incident):
    for model in OUR_MODELS:
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"no {model.__name__} to open"
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, model


def test_configuration_can_be_added(admin_client, organisation):
    for model in (User, Organisation, Team, CIClass, ConfigurationItem, Category):
        assert admin_client.get(admin_url(model, "add")).status_code == 200, model

    agent_role = Group.objects.get(name=roles.AGENT)
    response = admin_client.post(admin_url(User, "add"), {
        "username": "newagent", "usable_password": "true", "password1": "x-Very-long-pw-1", "password2": "x-Very-long-pw-1",
        "email": "new@example.com", "organisation": organisation.pk, "groups": [agent_role.pk],
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(username="newagent")
    assert created.organisation == organisation and roles.can_work_tickets(created)


def test_a_tickets_audit_trail_lists_its_changes(admin_client, some_incident):
    page = admin_client.get(admin_url(Ticket, "change", some_incident.pk))
    trail_url = f"{admin_url(Events, 'changelist')}?method=references&obj=servicedesk.Ticket:{some_incident.pk}"
    assert trail_url.replace("&", "&amp;").split("?")[0] in page.content.decode()

    trail = admin_client.get(trail_url)

    assert trail.status_code == 200
    labels = {row.pgh_model for row in trail.context["cl"].result_list}
    assert {"servicedesk.TicketEvent", "incidents.IncidentEvent"} <= labels


@pytest.mark.parametrize("who", ["anonymous", "agent", "requester"])
def test_people_without_staff_status_are_sent_to_the_admin_login(client, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in (reverse("admin:index"), admin_url(Ticket, "changelist"), admin_url(PriorityMatrix, "changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", [Ticket, Incident, Notification])
def test_tickets_incidents_and_outbox_are_read_only(admin_client, admin_user, rf, model, some_incident):
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    obj = model._default_manager.first()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)
    assert model_admin.has_view_permission(request, obj)

    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "change", obj.pk), {"title": "changed"}).status_code == 403
    assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    some_incident.refresh_from_db()
    assert some_incident.title == "메일 서버 장애"


def test_ticket_search_by_number_uses_the_exact_number(admin_client, some_incident, make_incident):
    make_incident(title="Another one")
    response = admin_client.get(admin_url(Ticket, "changelist"), {"q": some_incident.number.lower()})
    assert [t.number for t in response.context["cl"].result_list] == [some_incident.number]


def test_priority_matrix_cells_can_be_changed_not_added_or_deleted(admin_client):
    cell = PriorityMatrix.objects.get(impact=3, urgency=3)
    response = admin_client.post(admin_url(PriorityMatrix, "change", cell.pk), {"priority": 4})
    assert response.status_code == 302
    cell.refresh_from_db()
    assert cell.priority == 4
    assert admin_client.get(admin_url(PriorityMatrix, "add")).status_code == 403
    assert admin_client.post(admin_url(PriorityMatrix, "delete", cell.pk), {"post": "yes"}).status_code == 403
    assert PriorityMatrix.objects.count() == 9


def test_ci_edit_in_admin_bumps_the_version(admin_client, service):
    data = {"name": "E-mail (Exchange)", "ci_class": service.ci_class_id, "status": service.status,
            "environment": service.environment, "criticality": service.criticality,
            "support_team": service.support_team_id}
    response = admin_client.post(admin_url(ConfigurationItem, "change", service.pk), data)
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.name, service.version) == ("E-mail (Exchange)", 2)


# --- Constant query counts: 3 rows cost what 30 rows cost -----------------------------------


def make_incidents(n, *, agent, team, requester):
    for i in range(n):
        incident_open(actor=agent, requester=requester, title=f"Incident {i}", impact=3, urgency=2,
                      team=team, assignee=agent)


def make_people(n, **_):
    organisation = OrganisationFactory()
    UserFactory.create_batch(n, organisation=organisation, roles=[roles.REQUESTER])


def make_teams(n, *, agent, **_):
    for _i in range(n):
        TeamFactory(lead=agent, members=[agent])


def make_cis(n, *, team, **_):
    CIFactory.create_batch(n, support_team=team)


def make_categories(n, **_):
    parent = CategoryFactory()
    CategoryFactory.create_batch(n, parent=parent)


def make_organisations(n, *, agent, **_):
    for organisation in OrganisationFactory.create_batch(n):
        UserFactory(organisation=organisation)


@pytest.mark.parametrize("model, make", [
    (Ticket, make_incidents), (Incident, make_incidents), (Notification, make_incidents), (User, make_people),
    (Team, make_teams), (ConfigurationItem, make_cis), (Category, make_categories),
    (Organisation, make_organisations),
])
def test_changelist_query_count_is_flat(admin_client, agent, team, requester, model, make):
    url = admin_url(model, "changelist")

    def queries_for(rows_added):
        make(rows_added, agent=agent, team=team, requester=requester)
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    with_few = queries_for(3)
    with_many = queries_for(27)
    assert with_many == with_few


def test_permissions_come_from_the_person_and_their_groups_only(db):
    """accounts.backends.ESMBackend: one query, Django's rule (own + groups; all for superusers)."""
    from django.contrib.auth.models import Group, Permission

    from accounts.factories import UserFactory

    person = UserFactory(username="perm-person")
    group = Group.objects.create(name="Perm test group")
    group.permissions.add(Permission.objects.get(codename="view_all_tickets"))
    person.user_permissions.add(Permission.objects.get(codename="work_ticket"))
    assert person.get_all_permissions() == {"servicedesk.work_ticket"}
    person.groups.add(group)
    fresh = type(person).objects.get(pk=person.pk)
    assert fresh.get_all_permissions() == {"servicedesk.work_ticket", "servicedesk.view_all_tickets"}
    assert fresh.has_perm("servicedesk.view_all_tickets") and not fresh.has_perm("servicedesk.delete_ticket")
    fresh.is_active = False
    assert not fresh.has_perm("servicedesk.work_ticket"), "disabled accounts have none"
    boss = UserFactory(username="perm-boss", is_superuser=True)
    assert boss.has_perm("servicedesk.delete_ticket") and len(boss.get_all_permissions()) == Permission.objects.count()
