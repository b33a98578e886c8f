"""The demo's people, organisations and teams (``manage.py seed_demo``, docs/demo.md).

Got or created through the factories, so running the demo again adds nothing. English and Korean
side by side, as in the offices ESM is built for.
"""

from collections import Counter
from dataclasses import dataclass

import factory
from django.contrib.auth.hashers import make_password

from . import roles
from .factories import OrganisationFactory, TeamFactory, UserFactory
from .models import Organisation, Team, User

DEMO_PASSWORD = "demo12345"


@dataclass(frozen=True)
class Person:
    """A demo account. Korean names are written whole in ``first_name`` (family name first)."""

    username: str
    first_name: str
    last_name: str
    role: str
    try_this: str = ""
    organisation: str | None = None
    language: str = "en"
    time_zone: str = "Europe/London"
    superuser: bool = False
    documented: bool = True  # listed among the demo logins
    manager: str = ""  # username of their line manager (approves their service requests)


KO, SEOUL = "ko", "Asia/Seoul"

ORGANISATIONS = [  # name, members see each other's tickets
    ("Finance", True),
    ("Sales", False),
    ("연구소 R&D", False),
]

PEOPLE = [
    Person("admin", "Ada", "Kang", roles.ADMINISTRATOR, "Django admin /admin/: priority matrix, categories, "
           "roles, the audit trail", superuser=True),
    Person("agent", "Adam", "Choi", roles.AGENT, "Service desk agent: queues, take and resolve incidents"),
    Person("agent2", "Eve", "Han", roles.AGENT, "Agent in Service Desk and Workplace"),
    Person("lead", "Lena", "Park", roles.TEAM_LEAD, "Service Desk lead: major incidents, escalations"),
    Person("problem", "Priya", "Nair", roles.PROBLEM_MANAGER, "Problem manager (Applications team)"),
    Person("change", "Carlos", "Ortega", roles.CHANGE_MANAGER, "Change manager (Applications team)"),
    Person("cab", "정하늘", "", roles.CAB_MEMBER, "CAB member (Network team), Korean interface",
           language=KO, time_zone=SEOUL),
    Person("config", "Omar", "Haddad", roles.CONFIGURATION_MANAGER, "Configuration manager (Network team)"),
    Person("slm", "Sophie", "Martin", roles.SERVICE_LEVEL_MANAGER, "Service level manager"),
    Person("catalog", "Clara", "Yoon", roles.CATALOG_MANAGER, "Catalog manager: the service catalog editor"),
    Person("knowledge", "Kevin", "Jung", roles.KNOWLEDGE_MANAGER, "Knowledge manager: reviews and publishes articles"),
    Person("alice", "Alice", "Kim", roles.REQUESTER, "Requester in Finance, which shares tickets: sees "
           "her colleagues' tickets too", organisation="Finance", manager="chris"),
    Person("bob", "Bob", "Lee", roles.REQUESTER, "Requester in Sales: sees only his own tickets",
           organisation="Sales", manager="emma"),
    Person("minji", "김민지", "", roles.REQUESTER, "Requester in 연구소 R&D, Korean interface",
           organisation="연구소 R&D", language=KO, time_zone=SEOUL, manager="seojun"),
    # The other people in the story: same password, not needed for a first look.
    Person("netops", "박지수", "", roles.AGENT, "Network agent and team lead", language=KO, time_zone=SEOUL,
           documented=False),
    Person("appdev", "Daniel", "Reyes", roles.AGENT, "Applications agent and team lead", documented=False),
    Person("fieldtech", "최준호", "", roles.AGENT, "Workplace (desk-side) agent", language=KO, time_zone=SEOUL,
           documented=False),
    Person("chris", "Chris", "Evans", roles.REQUESTER, organisation="Finance", documented=False),
    Person("haeun", "박하은", "", roles.REQUESTER, organisation="Finance", language=KO, time_zone=SEOUL,
           documented=False, manager="chris"),
    Person("emma", "Emma", "Schmidt", roles.REQUESTER, organisation="Sales", time_zone="Europe/Berlin",
           documented=False),
    Person("tom", "Tom", "Novak", roles.REQUESTER, organisation="Sales", documented=False, manager="emma"),
    Person("seojun", "이서준", "", roles.REQUESTER, organisation="연구소 R&D", language=KO, time_zone=SEOUL,
           documented=False),
]

# The integration account monitoring alerts arrive with (API token only, no password).
MONITORING = Person("monitoring", "Monitoring", "(Zabbix)", roles.AGENT, documented=False)

TEAMS = {  # name: (lead, members, e-mail, description)
    "Service Desk": ("lead", ["lead", "agent", "agent2"], "servicedesk@example.com",
                     "First line: every call starts here."),
    "Network": ("netops", ["netops", "config", "cab"], "network@example.com", "LAN, Wi-Fi, VPN and internet access."),
    "Applications": ("appdev", ["appdev", "problem", "change"], "apps@example.com",
                     "E-mail, ERP, HR portal and the groupware."),
    "Workplace": ("fieldtech", ["fieldtech", "agent2"], "workplace@example.com",
                  "Laptops, printers, phones and desk-side support."),
}


def seed(created: Counter) -> tuple[dict[str, User], dict[str, Team]]:
    """Get or create the demo's organisations, people and teams; count what was new in ``created``."""
    existing = set(Organisation.objects.filter(name__in=[n for n, _s in ORGANISATIONS]).values_list("name", flat=True))
    organisations = {}
    for name, share in ORGANISATIONS:
        organisations[name] = OrganisationFactory(name=name, share_tickets=share)
        created["organisations"] += name not in existing

    everyone = [*PEOPLE, MONITORING]
    existing = set(User.objects.filter(username__in=[p.username for p in everyone]).values_list("username", flat=True))
    managers = {p.username: p.manager for p in everyone if p.manager}
    # Hash once (a hash takes half a second); passwords are only set on accounts created now.
    password = make_password(DEMO_PASSWORD) if len(existing) < len(everyone) else None
    people = {}
    for person in everyone:
        people[person.username] = UserFactory(
            username=person.username, first_name=person.first_name, last_name=person.last_name,
            organisation=organisations.get(person.organisation), language=person.language,
            time_zone=person.time_zone, is_staff=person.superuser, is_superuser=person.superuser,
            password=factory.Transformer.Force(make_password(None) if person is MONITORING else password),
            roles=[person.role],
        )
        created["people"] += person.username not in existing
    for username, manager in managers.items():
        if people[username].manager_id is None:
            User.objects.filter(pk=people[username].pk).update(manager=people[manager])
            people[username].manager = people[manager]

    existing = set(Team.objects.filter(name__in=TEAMS).values_list("name", flat=True))
    teams = {}
    for name, (lead, members, email, description) in TEAMS.items():
        teams[name] = TeamFactory(name=name, lead=people[lead], email=email, description=description,
                                  members=[people[m] for m in members])
        created["teams"] += name not in existing
    return people, teams
