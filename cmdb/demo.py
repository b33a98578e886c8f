"""The demo's estate: business services, other CIs, relationships, redundancy groups (``seed_demo``).

Got or created (CIs through the factories, relationships through ``cmdb.services``), so running the
demo again adds nothing.
"""

from collections import Counter

from accounts.models import Team, User

from . import services as cmdb_services
from .choices import BUSINESS_SERVICE_CLASS, Criticality
from .factories import CIFactory, ServiceFactory
from .models import CIClass, ConfigurationItem, RedundancyGroup, Relationship, RelationshipType

SERVICES = [  # name, support team, owner, criticality, description
    ("E-mail", "Applications", "appdev", Criticality.CRITICAL, "Corporate mail (Exchange) for every employee."),
    ("VPN", "Network", "netops", Criticality.HIGH, "Remote access for home and travelling staff."),
    ("ERP", "Applications", "problem", Criticality.CRITICAL, "Finance, purchasing and invoicing."),
    ("HR portal", "Applications", "slm", Criticality.MEDIUM, "Leave, payslips and personal data."),
    ("Wi-Fi", "Network", "config", Criticality.HIGH, "Office wireless network, all floors."),
    ("그룹웨어", "Applications", "appdev", Criticality.HIGH, "Groupware: approvals (결재), calendar, board."),
    ("Printing", "Workplace", "fieldtech", Criticality.LOW, "Multifunction printers on every floor."),
    ("Laptops and desktops", "Workplace", "fieldtech", Criticality.MEDIUM, "End-user computing."),
]

OTHER_CIS = [  # name, class, support team, description
    ("mail-01", "virtual_server", "Applications", "Mailbox server, primary"),
    ("mail-02", "virtual_server", "Applications", "Mailbox server, secondary"),
    ("vpn-gw-01", "network_device", "Network", "VPN gateway"),
    ("core-sw-01", "network_device", "Network", "Core switch, server room"),
    ("wlc-01", "network_device", "Network", "Wireless LAN controller"),
    ("erp-app-01", "application", "Applications", "ERP application server"),
    ("erp-db-01", "database", "Applications", "ERP database (PostgreSQL)"),
    ("hr-portal-web", "application", "Applications", "HR portal web application"),
    ("gw-web-01", "virtual_server", "Applications", "그룹웨어 web server"),
    ("prn-3f-01", "end_user_device", "Workplace", "3rd floor multifunction printer"),
    ("Exchange", "application", "Applications", "Microsoft Exchange, two mailbox servers"),
    ("vm-host-01", "physical_server", "Network", "Hypervisor host, rack A"),
    ("vm-host-02", "physical_server", "Network", "Hypervisor host, rack B"),
    ("san-01", "storage", "Network", "Storage array for the hypervisors"),
]

# The demo estate's dependencies, "source <type> target" (the source fails when the target does).
RELATIONSHIPS = [
    ("E-mail", "depends_on", "Exchange"),
    ("Exchange", "runs_on", "mail-01"),
    ("Exchange", "runs_on", "mail-02"),
    ("mail-01", "runs_on", "vm-host-01"),
    ("mail-02", "runs_on", "vm-host-02"),
    ("ERP", "depends_on", "erp-app-01"),
    ("erp-app-01", "depends_on", "erp-db-01"),
    ("erp-app-01", "runs_on", "vm-host-02"),
    ("erp-db-01", "runs_on", "vm-host-01"),
    ("HR portal", "depends_on", "hr-portal-web"),
    ("hr-portal-web", "depends_on", "erp-db-01"),
    ("hr-portal-web", "runs_on", "vm-host-02"),
    ("그룹웨어", "depends_on", "gw-web-01"),
    ("gw-web-01", "runs_on", "vm-host-01"),
    ("VPN", "depends_on", "vpn-gw-01"),
    ("Wi-Fi", "depends_on", "wlc-01"),
    ("Printing", "depends_on", "prn-3f-01"),
    ("vm-host-01", "depends_on", "san-01"),
    ("vm-host-02", "depends_on", "san-01"),
    ("vm-host-01", "connects_to", "core-sw-01"),
    ("vm-host-02", "connects_to", "core-sw-01"),
    ("vpn-gw-01", "connects_to", "core-sw-01"),
    ("wlc-01", "connects_to", "core-sw-01"),
    ("prn-3f-01", "connects_to", "core-sw-01"),
]
# Exchange keeps serving while one of its two mailbox servers is up.
REDUNDANCY_GROUPS = [("Exchange", "Mailbox servers", 1, ["mail-01", "mail-02"])]


class DemoServiceFactory(ServiceFactory):
    class Meta:
        django_get_or_create = ("name", "ci_class")


class DemoCIFactory(CIFactory):
    class Meta:
        django_get_or_create = ("name", "ci_class")


def seed(created: Counter, *, people: dict[str, User], teams: dict[str, Team]
         ) -> tuple[dict[str, ConfigurationItem], dict[str, ConfigurationItem]]:
    """Get or create the demo's services and CIs and relate them; returns (services, other CIs) by name."""
    service_class = CIClass.objects.get(slug=BUSINESS_SERVICE_CLASS)
    existing = set(ConfigurationItem.objects.services().values_list("name", flat=True))
    services_by_name = {}
    for name, team, owner, criticality, description in SERVICES:
        services_by_name[name] = DemoServiceFactory(
            name=name, ci_class=service_class, support_team=teams[team], owner_team=teams[team],
            owner=people[owner], criticality=criticality, description=description,
        )
        created["services"] += name not in existing

    classes = {c.slug: c for c in CIClass.objects.filter(slug__in={cls for _n, cls, _t, _d in OTHER_CIS})}
    existing = set(ConfigurationItem.objects.filter(name__in=[n for n, *_rest in OTHER_CIS])
                   .values_list("name", "ci_class__slug"))
    cis = {}
    for name, slug, team, description in OTHER_CIS:
        cis[name] = DemoCIFactory(name=name, ci_class=classes[slug], support_team=teams[team],
                                  owner_team=teams[team], description=description)
        created["other CIs"] += (name, slug) not in existing
    # The system (actor None) relates the demo estate: it is part of the seeding, not a person's work.
    created["relationships"] = relate_demo_cis({**services_by_name, **cis}, actor=None)
    return services_by_name, cis


def relate_demo_cis(by_name: dict[str, ConfigurationItem], *, actor) -> int:
    """The demo estate's relationships and redundancy groups, through the CMDB's services; idempotent."""
    types = {t.slug: t for t in RelationshipType.objects.all()}
    existing = set(Relationship.objects.filter(source__in=by_name.values())
                   .values_list("source_id", "target_id", "type_id"))
    made = 0
    for source, slug, target in RELATIONSHIPS:
        key = (by_name[source].pk, by_name[target].pk, types[slug].pk)
        if key not in existing:
            cmdb_services.relationship_create(actor=actor, source=by_name[source], target=by_name[target],
                                              type=types[slug])
            made += 1
    for ci_name, group_name, min_up, members in REDUNDANCY_GROUPS:
        ci = by_name[ci_name]
        if not RedundancyGroup.objects.filter(ci=ci, name=group_name).exists():
            cmdb_services.redundancy_group_create(
                actor=actor, ci=ci, name=group_name, min_up=min_up,
                relationships=Relationship.objects.filter(source=ci, target__in=[by_name[m] for m in members]))
    return made
