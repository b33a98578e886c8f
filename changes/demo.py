"""The demo's change management for ``manage.py seed_demo``: CABs, CAB rules, templates, freeze
windows and about sixteen changes in every state, with CAB votes, reviews, conflicts and links to
demo incidents.

Everything goes through the change services (and the approval engine through them), so the demo
obeys every rule the application enforces; CAB members vote as themselves. Idempotent: nothing is
added while a change exists. Runs in one transaction.
"""

from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pghistory
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import demo as accounts_demo
from cmdb import demo as cmdb_demo
from servicedesk.choices import TicketKind
from servicedesk.models import ApprovalStep, ApproverGroup, Notification, Ticket

from . import services
from .choices import ChangeReason, ChangeType, RiskLevel
from .choices import ChangeState as S
from .models import CabRule, ChangeTemplate, FreezeWindow, RiskQuestion

NOT_SENT_NOTE = "Demo data (seed_demo): recorded in the outbox, never e-mailed."
DEMO_SOURCE = "seed_demo"

CAB = ("Change Advisory Board", "lead", ["cab", "netops", "appdev", "config"])
ECAB = ("Emergency CAB", "change", ["lead", "cab"])

TEMPLATES = [
    ("Patch a Windows or Linux server", "Monthly OS patches on {ci}", "Applications", 120,
     "1. Snapshot the VM.\n2. Install the month's patches.\n3. Reboot and check the services start.",
     "Revert to the snapshot.", "Log in; the application's health page answers."),
    ("Renew a TLS certificate", "Renew the TLS certificate of {ci}", "Applications", 30,
     "Install the new certificate and reload the web server.", "Reinstall the old certificate.",
     "Open the site; the browser shows the new expiry date."),
    ("Firmware update of a hypervisor host", "Firmware update on {ci}", "Network", 90,
     "Migrate the VMs away, update the firmware, reboot, migrate the VMs back.",
     "Flash the previous firmware from the vendor's image.", "The host rejoins the cluster; VMs run."),
]


@contextmanager
def outbox_only():
    """Notifications are written to the outbox as in real life, but no e-mail task is queued."""

    class NotQueued:
        @staticmethod
        def apply_async(*args, **kwargs):
            return None

    with mock.patch("servicedesk.tasks.send_notification", NotQueued):
        yield


def demo_changes_exist() -> bool:
    return Ticket.objects.filter(kind=TicketKind.CHANGE).exists()


def _answers(*, risky: int = 0) -> dict:
    """Safe answers to every question, except the first ``risky`` ones."""
    answers = {}
    for i, question in enumerate(RiskQuestion.objects.filter(active=True)):
        answers[str(question.pk)] = question.risky_answer if i < risky else not question.risky_answer
    return answers


class Story:
    def __init__(self, people, teams, services_by_name, cis, now):
        self.p, self.t, self.s, self.ci, self.now = people, teams, services_by_name, cis, now
        self.tickets: list[Ticket] = []

    def hours(self, n: float):
        return self.now + timedelta(hours=n)

    def new(self, actor, title, *, team, cis, service=None, hours_from_now, duration=2, risky=1, **kwargs):
        start = self.hours(hours_from_now)
        ticket = services.change_create(
            actor=self.p[actor], title=title, team=self.t[team], change_manager=self.p["change"],
            cis=[self.ci[name] if name in self.ci else self.s[name] for name in cis],
            service=self.s[service] if service else None, planned_start=start,
            planned_end=start + timedelta(hours=duration), risk_answers=_answers(risky=risky),
            justification=kwargs.pop("justification", "Keeps the service supported and secure."),
            implementation_plan=kwargs.pop("implementation_plan", "Follow the vendor's upgrade guide step by step."),
            backout_plan=kwargs.pop("backout_plan", "Restore from the snapshot taken before the work."),
            test_plan=kwargs.pop("test_plan", "Run the smoke tests and watch the monitoring for an hour."),
            **kwargs)
        self.tickets.append(ticket)
        return ticket

    def move(self, ticket, actor, *targets, **kwargs):
        for target in targets:
            ticket = services.change_transition(ticket=ticket, actor=self.p[actor] if actor else None, to=target,
                                                **(kwargs if target == targets[-1] else {}))
        return ticket

    def votes(self, ticket, decisions):
        """``decisions``: (username, "approve"/"reject", comment) on the pending step, in order."""
        for username, decision, comment in decisions:
            step = ApprovalStep.objects.filter(ticket=ticket, state="pending").first()
            if step is None:
                break
            if not step.votes.filter(approver=self.p[username], state="pending").exists():
                continue  # not on this step, or left out as the change's requester or implementer
            services.change_vote(ticket=ticket, actor=self.p[username], decision=decision, comment=comment)
        ticket.refresh_from_db()
        return ticket

    def authorise(self, ticket, actor, decisions, emergency=False):
        if not emergency:
            ticket = self.move(ticket, actor, S.ASSESSMENT)
        ticket = self.move(ticket, actor, S.AUTHORIZATION)
        return self.votes(ticket, decisions)


def seed_change_config(p, t) -> tuple[ApproverGroup, ApproverGroup, list[ChangeTemplate]]:
    cab, _ = ApproverGroup.objects.get_or_create(name=CAB[0], defaults={
        "chair": p[CAB[1]], "description": "Meets on Tuesdays at 10:00; reviews every normal change."})
    cab.members.set([p[CAB[1]], *(p[u] for u in CAB[2])])
    ecab, _ = ApproverGroup.objects.get_or_create(name=ECAB[0], defaults={
        "chair": p[ECAB[1]], "description": "Convened at short notice for emergency changes."})
    ecab.members.set([p[ECAB[1]], *(p[u] for u in ECAB[2])])
    actor = p["change"]
    if not CabRule.objects.exists():
        services.cab_rule_save(actor=actor, change_type=ChangeType.NORMAL, group=cab, policy="quorum", threshold=2,
                               order=1)
        services.cab_rule_save(actor=actor, change_type=ChangeType.EMERGENCY, group=ecab, policy="any", order=1)
        services.cab_rule_save(actor=actor, change_type=ChangeType.NORMAL, group=ecab, policy="any", order=2,
                               min_risk_level=RiskLevel.HIGH)
    templates = []
    for name, title, team, minutes, plan, backout, test in TEMPLATES:
        template = ChangeTemplate.objects.filter(name=name).first() or services.template_save(
            actor=actor, name=name, title=title.format(ci="a server"), team=t[team],
            duration_minutes=minutes, implementation_plan=plan, backout_plan=backout, test_plan=test,
            reason=ChangeReason.MAINTENANCE)
        templates.append(template)
    return cab, ecab, templates


def seed(*, now=None) -> Counter:
    """Load the demo's change management; returns what was created (nothing when changes exist)."""
    now = now or timezone.now()
    created = Counter()
    with transaction.atomic():
        with pghistory.context(source=DEMO_SOURCE, actor=None):
            people, teams = accounts_demo.seed(Counter())
            services_by_name, cis = cmdb_demo.seed(Counter(), people=people, teams=teams)
        if demo_changes_exist():
            return created
        with outbox_only():
            _cab, _ecab, templates = seed_change_config(people, teams)
            story = Story(people, teams, services_by_name, cis, now)
            _play(story, templates)
        ids = [t.pk for t in story.tickets]
        Notification.objects.filter(ticket_id__in=ids, sent_at__isnull=True).update(
            sent_at=F("created_at"), last_error=NOT_SENT_NOTE)
        created["changes"] = len(ids)
        created["templates"] = len(templates)
        created["freeze windows"] = FreezeWindow.objects.count()
    return created


def _play(story: Story, templates: list[ChangeTemplate]) -> None:
    p, now = story.p, story.now
    approve = [("cab", "approve", "Plan and back-out look fine."), ("netops", "approve", ""),
               ("config", "approve", ""), ("lead", "approve", "")]
    change = p["change"]
    # Freeze windows: the quarter-end close on ERP, and a company-wide one later.
    services.freeze_window_save(actor=change, name="Quarter-end close", service=story.s["ERP"],
                                starts_at=now + timedelta(days=6), ends_at=now + timedelta(days=9),
                                reason="Finance closes the books: no changes to ERP.")
    services.freeze_window_save(actor=change, name="Year-end freeze", starts_at=now + timedelta(days=25),
                                ends_at=now + timedelta(days=32), reason="Reduced staffing over the holidays.")
    incidents = list(Ticket.objects.filter(kind=TicketKind.INCIDENT).order_by("-opened_at")[:6])

    # New: a draft, and one raised from a demo incident.
    story.new("appdev", "Upgrade the HR portal to version 5", team="Applications", cis=["hr-portal-web"],
              service="HR portal", hours_from_now=24 * 10)
    if incidents:
        ticket = services.change_from_incident(
            actor=p["netops"], incident=incidents[0], team=story.t["Network"], change_manager=change,
            implementation_plan="Replace the faulty part.", backout_plan="Put the old part back.")
        story.tickets.append(ticket)
    # Assessment.
    story.move(story.new("netops", "Replace the core switch's supervisor module", team="Network",
                         cis=["core-sw-01"], hours_from_now=24 * 12, duration=4, risky=3), "netops", S.ASSESSMENT)
    # Authorization: the CAB has voted once (quorum 2), and an emergency change waits for the ECAB.
    ticket = story.new("appdev", "Add a second ERP application server", team="Applications", cis=["erp-app-01"],
                       service="ERP", hours_from_now=24 * 4)
    story.authorise(ticket, "appdev", [("cab", "approve", "Good capacity plan.")])
    ticket = story.new("netops", "Emergency: block the VPN gateway's exploited port", team="Network",
                       cis=["vpn-gw-01"], change_type=ChangeType.EMERGENCY, hours_from_now=1, duration=1)
    story.move(ticket, "netops", S.AUTHORIZATION)
    # Scheduled: the mail upgrade and, in the same window, a host firmware update (a conflict).
    mail = story.new("appdev", "Upgrade Exchange on mail-01 to the latest CU", team="Applications", cis=["mail-01"],
                     service="E-mail", hours_from_now=48, duration=3)
    story.authorise(mail, "appdev", approve)
    firmware = services.change_create(actor=p["netops"], template=templates[2], cis=[story.ci["vm-host-01"]],
                                      title="Firmware update on vm-host-01", planned_start=story.hours(49),
                                      change_manager=change)
    story.tickets.append(firmware)
    story.move(firmware, "netops", S.SCHEDULED)
    # Scheduled into the ERP freeze on a change manager's override.
    erp = story.new("appdev", "Apply the ERP vendor's security patch", team="Applications", cis=["erp-db-01"],
                    service="ERP", hours_from_now=24 * 7, reason=ChangeReason.SECURITY)
    erp = story.authorise(erp, "appdev", approve)
    story.move(erp, "change", S.SCHEDULED, override_reason="Critical vulnerability; Finance agreed to the risk.")
    # Implementing: a normal change whose window has started, and an approved emergency change.
    wifi = story.new("netops", "Upgrade the wireless LAN controller", team="Network", cis=["wlc-01"],
                     hours_from_now=-1, duration=3)
    story.move(story.authorise(wifi, "netops", approve), "netops", S.IMPLEMENTING)
    emergency = story.new("appdev", "Emergency: restart the groupware web tier", team="Applications",
                          cis=["gw-web-01"], change_type=ChangeType.EMERGENCY, hours_from_now=-0.5, duration=1)
    story.move(emergency, "appdev", S.AUTHORIZATION)
    story.votes(emergency, [("change", "approve", "Go ahead: users cannot log in.")])
    # Review: a failed one, which caused an incident.
    failed = story.new("appdev", "Move the printers to the new print server", team="Workplace", cis=["prn-3f-01"],
                       hours_from_now=-30, duration=2)
    failed = story.authorise(failed, "appdev", approve)
    story.move(failed, "appdev", S.IMPLEMENTING)
    story.move(failed, "appdev", S.REVIEW, outcome="failed")
    if len(incidents) > 1:
        services.change_link(ticket=failed, actor=p["appdev"], other=incidents[1], relation="caused")
    # Closed: a normal change, a standard one and a rolled-back emergency change.
    done = story.new("appdev", "Enlarge the ERP database's disk", team="Applications", cis=["erp-db-01"],
                     service="ERP", hours_from_now=-72)
    done = story.authorise(done, "appdev", approve)
    story.move(done, "appdev", S.IMPLEMENTING)
    story.move(done, "appdev", S.REVIEW, outcome="successful")
    story.move(done, "change", S.CLOSED, review_notes="Went to plan in 40 minutes.")
    patch = services.change_create(actor=p["appdev"], template=templates[0], cis=[story.ci["mail-02"]],
                                   title="Monthly OS patches on mail-02", planned_start=story.hours(-50),
                                   change_manager=change)
    story.tickets.append(patch)
    story.move(patch, "appdev", S.SCHEDULED, S.IMPLEMENTING)
    story.move(patch, "appdev", S.REVIEW, outcome="successful")
    story.move(patch, "appdev", S.CLOSED)
    rolled = story.new("netops", "Emergency: route VPN traffic through the backup line", team="Network",
                       cis=["vpn-gw-01"], change_type=ChangeType.EMERGENCY, hours_from_now=-100, duration=1)
    story.move(rolled, "netops", S.AUTHORIZATION)
    story.votes(rolled, [("lead", "approve", "")])
    story.move(rolled, "netops", S.REVIEW, outcome="rolled_back")
    if len(incidents) > 2:
        services.change_link(ticket=rolled, actor=p["netops"], other=incidents[2], relation="addresses")
    story.move(rolled, "change", S.CLOSED, review_notes="The backup line's capacity was too small; rolled back "
                                                        "after 10 minutes. Order a bigger line first.")
    # Rejected by the CAB, and cancelled.
    rejected = story.new("appdev", "Switch the groupware to a new theme during business hours", team="Applications",
                         cis=["gw-web-01"], hours_from_now=24 * 3, risky=4)
    story.authorise(rejected, "appdev", [("cab", "reject", "Not during business hours."),
                                         ("netops", "reject", "Agree: do it on a weekend."),
                                         ("config", "reject", "No test plan.")])
    story.move(story.new("netops", "Re-cable rack B", team="Network", cis=["vm-host-02"], hours_from_now=24 * 5),
               "netops", S.CANCELLED, reason="Done as part of the data-centre move instead.")
