"""The demo's incidents for ``manage.py seed_demo``: ~300 of them, in every state.

People and teams come from accounts.demo, services and CIs from cmdb.demo; every incident is written by the incident
services, so the demo obeys every rule the application enforces. To make the timelines read like
real work, each incident's story is planned as steps at moments of the last 60 days, then played
in order of opening; a ``DemoClock`` remembers which moment each step stands for, and at the end
one UPDATE per table moves what each step wrote to its moment.

Idempotent: people, teams and services are got-or-created; incidents are added only while no demo
requester has any. All of it runs in one transaction, so a failure leaves nothing behind.
"""

import random
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from unittest import mock

import pghistory
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import demo as accounts_demo
from accounts.demo import MONITORING, TEAMS
from accounts.models import Team, User
from cmdb import demo as cmdb_demo
from cmdb.models import ConfigurationItem
from servicedesk import services as desk
from servicedesk.choices import TicketKind
from servicedesk.factories import CategoryFactory
from servicedesk.models import Attachment, Comment, Notification, Ticket, TicketCI, TimeEntry, TimelineEntry

from . import services
from .choices import Channel, IncidentState
from .demo_data import (
    DAYS_OF_HISTORY,
    DESK_DISPATCHERS,
    ESCALATION_REASONS,
    OUTCOME_WEIGHTS,
    PHRASES,
    RANDOM_SEED,
    REQUESTERS,
    RESOLUTION_CODES,
    SCENARIOS,
    WORK_NOTES,
    Scenario,
)

NOT_SENT_NOTE = "Demo data (seed_demo): recorded in the outbox, never e-mailed."
S = IncidentState


# --- People, teams, services ----------------------------------------------------------------


@dataclass
class Cast:
    people: dict[str, User]
    teams: dict[str, Team]
    services: dict[str, ConfigurationItem]
    cis: dict[str, ConfigurationItem]
    created: Counter


def cast_everyone() -> Cast:
    """The demo's people, teams (accounts.demo) and estate (cmdb.demo); counts what was new."""
    created = Counter()
    people, teams = accounts_demo.seed(created)
    services_by_name, cis = cmdb_demo.seed(created, people=people, teams=teams)
    return Cast(people=people, teams=teams, services=services_by_name, cis=cis, created=created)


# --- Stories: incidents planned as steps at moments, played through the services ------------


@dataclass
class Step:
    at: timedelta  # after the story's start
    ticket: str  # which of the story's incidents ("main", "parent", "c1" …)
    verb: str  # a Player method: open, assign, move, say, work, escalate, major, parent, merge, watch
    args: dict


@dataclass
class Story:
    steps: list[Step] = field(default_factory=list)
    cursor: timedelta = timedelta(0)
    start: datetime | None = None

    def then(self, after: timedelta, ticket: str, verb: str, **args) -> "Story":
        self.cursor += after
        self.steps.append(Step(self.cursor, ticket, verb, args))
        return self


class DemoClock:
    """Remembers the real moment each step started and the demo moment it stands for.

    ``apply`` then rewrites every timestamp the steps wrote: a row written ``d`` after a step
    started gets that step's demo moment plus ``d``, so order within a step is kept too.
    """

    def __init__(self):
        self.real: list[datetime] = []
        self.demo: list[datetime] = []

    @contextmanager
    def at(self, moment: datetime):
        self.real.append(timezone.now())
        self.demo.append(moment)
        yield

    # Every timestamp the services write for a ticket, by table.
    SHIFTED = [
        (Ticket, ["opened_at", "updated_at", "resolved_at", "closed_at"], "id"),
        (TimelineEntry, ["at"], "ticket_id"),
        (Comment, ["created_at"], "ticket_id"),
        (TimeEntry, ["created_at"], "ticket_id"),
        (TicketCI, ["linked_at"], "ticket_id"),
        (Attachment, ["created_at"], "ticket_id"),
        (Notification, ["created_at", "updated_at"], "ticket_id"),
    ]

    def apply(self, ticket_ids: list[int]) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS pg_temp.demo_clock")
            cursor.execute("CREATE TEMPORARY TABLE demo_clock (real_at timestamptz NOT NULL, "
                           "demo_at timestamptz NOT NULL)")
            cursor.execute("INSERT INTO demo_clock SELECT * FROM unnest(%s::timestamptz[], %s::timestamptz[])",
                           [self.real, self.demo])
            cursor.execute("CREATE INDEX ON demo_clock (real_at)")
            cursor.execute("ANALYZE demo_clock")
            cursor.execute("""
                CREATE OR REPLACE FUNCTION pg_temp.demo_time(ts timestamptz) RETURNS timestamptz
                LANGUAGE sql STABLE AS $$
                    SELECT COALESCE((SELECT c.demo_at + (ts - c.real_at) FROM demo_clock c
                                     WHERE c.real_at <= ts ORDER BY c.real_at DESC LIMIT 1), ts)
                $$""")
            for model, names, key in self.SHIFTED:
                columns = [quote(model._meta.get_field(name).column) for name in names]
                assignments = ", ".join(f"{c} = pg_temp.demo_time({c})" for c in columns)
                cursor.execute(f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608 - names only
                               f"WHERE {quote(key)} = ANY(%s)", [ticket_ids])
            cursor.execute("DROP FUNCTION pg_temp.demo_time(timestamptz)")
            cursor.execute("DROP TABLE demo_clock")


def minutes(rng, low, high) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


def hours(rng, low, high) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


class Player:
    """Plans the stories and plays them, step by step, through the incident services."""

    def __init__(self, cast: Cast, *, now: datetime, seed: int = RANDOM_SEED):
        self.cast = cast
        self.people = cast.people
        self.rng = random.Random(seed)
        self.now = now
        self.clock = DemoClock()
        self.ticket_ids: list[int] = []
        self.autoclose = timedelta(days=settings.INCIDENT_AUTOCLOSE_DAYS)
        self._categories: dict[tuple[str, str], object] = {}

    # -- planning ------------------------------------------------------------------------------

    def plan(self, total: int) -> list[Story]:
        stories = [self.major_now(), self.major_past(), *self.merged_duplicates()]
        special = sum(1 for story in stories for step in story.steps if step.verb == "open")
        for outcome in allocate(max(total - special, 0), OUTCOME_WEIGHTS):
            stories.append(self.generic(outcome))
        return sorted(stories, key=lambda story: story.start)

    def phrase(self, key: str, person: User, **params) -> str:
        text = self.rng.choice(PHRASES[key]["ko" if person.language == "ko" else "en"])
        return text.format(**params)

    def autoclose_note(self) -> str:
        # The words the auto-close task uses (incidents.services.autoclose_resolved).
        return _("Closed automatically %(days)s days after resolution.") % {"days": self.autoclose.days}

    def team_for(self, scenario: Scenario) -> Team:
        if scenario.service:
            return self.cast.services[scenario.service].support_team
        return self.cast.teams["Service Desk"]

    def member_of(self, team: Team) -> User:
        return self.rng.choice([self.people[m] for m in TEAMS[team.name][1]])

    def generic(self, outcome: str) -> Story:
        """One incident from a scenario, worked through to ``outcome`` the way agents really do."""
        rng, people = self.rng, self.people
        scenario = rng.choice(SCENARIOS)
        team = self.team_for(scenario)
        if scenario.monitoring:
            requester = actor = people[MONITORING.username]
            channel = Channel.MONITORING
        else:
            requester = people[rng.choice(REQUESTERS)]
            channel = rng.choices([Channel.PORTAL, Channel.EMAIL, Channel.PHONE, Channel.API], [55, 20, 20, 5])[0]
            by_desk = channel in (Channel.EMAIL, Channel.PHONE)
            actor = people[rng.choice(DESK_DISPATCHERS)] if by_desk else requester
        person = not scenario.monitoring  # a person can answer, confirm or reopen
        story = Story().then(timedelta(0), "main", "open", scenario=scenario, requester=requester, actor=actor,
                             channel=channel)

        if outcome == "new":
            if person and rng.random() < 0.2:
                story.then(hours(rng, 1, 6), "main", "say", actor=requester,
                           body=self.phrase("caller_answers", requester))
            return self.schedule(story, outcome)
        if outcome == "cancelled" and person and rng.random() < 0.5:
            story.then(minutes(rng, 15, 600), "main", "move", actor=requester, to=S.CANCELLED,
                       note=self.phrase("requester_cancels", requester))
            return self.schedule(story, outcome)

        assignee = self.member_of(team)
        story.then(minutes(rng, 5, 120), "main", "assign", actor=assignee, team=team, assignee=assignee)
        story.then(minutes(rng, 1, 10), "main", "move", actor=assignee, to=S.IN_PROGRESS)
        if person and rng.random() < 0.6:
            story.then(minutes(rng, 2, 30), "main", "say", actor=assignee, body=self.phrase("acknowledge", requester))
        if rng.random() < 0.1:  # functional escalation to another team, which takes it over
            other = self.cast.teams[rng.choice([name for name in ESCALATION_REASONS if name != team.name])]
            story.then(hours(rng, 1, 6), "main", "escalate", actor=assignee, level="functional", team=other,
                       reason=ESCALATION_REASONS[other.name])
            team, assignee = other, self.member_of(other)
            story.then(minutes(rng, 10, 90), "main", "assign", actor=assignee, team=team, assignee=assignee)
        story.then(minutes(rng, 20, 240), "main", "work", actor=assignee,
                   minutes=rng.choice([10, 15, 20, 30, 45, 60, 90]), note=rng.choice(WORK_NOTES))

        if outcome == "in_progress":
            if rng.random() < 0.15:
                story.then(hours(rng, 1, 8), "main", "escalate", actor=assignee, level="hierarchical",
                           reason="The caller's whole team is blocked; please prioritise.")
            return self.schedule(story, outcome)
        if outcome.startswith("on_hold:"):
            reason = outcome.split(":")[1]
            story.then(hours(rng, 0.5, 12), "main", "move", actor=assignee, to=S.ON_HOLD, on_hold_reason=reason,
                       note=self.phrase(reason, requester, ref=f"VND-{rng.randint(10000, 99999)}"))
            return self.schedule(story, outcome)
        if outcome == "cancelled":
            story.then(hours(rng, 0.5, 8), "main", "move", actor=assignee, to=S.CANCELLED,
                       note=self.phrase("agent_cancels", requester))
            return self.schedule(story, outcome)

        detour = rng.random()
        if person and detour < 0.15:  # ask the caller; their answer resumes the work by itself
            story.then(hours(rng, 0.5, 6), "main", "move", actor=assignee, to=S.ON_HOLD,
                       on_hold_reason="awaiting_caller", note=self.phrase("awaiting_caller", requester))
            story.then(hours(rng, 1, 20), "main", "say", actor=requester, body=self.phrase("caller_answers", requester))
        elif detour < 0.25:
            story.then(hours(rng, 0.5, 6), "main", "move", actor=assignee, to=S.ON_HOLD,
                       on_hold_reason="awaiting_vendor",
                       note=self.phrase("awaiting_vendor", requester, ref=f"VND-{rng.randint(10000, 99999)}"))
            story.then(hours(rng, 20, 72), "main", "move", actor=assignee, to=S.IN_PROGRESS)
        resolve = {"resolution_code": rng.choice(RESOLUTION_CODES), "resolution_notes": scenario.resolution}
        story.then(hours(rng, 0.5, 30), "main", "move", actor=assignee, to=S.RESOLVED, **resolve)
        if outcome == "resolved":
            return self.schedule(story, outcome)

        if person and rng.random() < 0.1:  # "still broken": reopened, fixed again
            story.then(hours(rng, 2, 30), "main", "move", actor=requester, to=S.IN_PROGRESS,
                       note=self.phrase("reopen", requester))
            story.then(hours(rng, 1, 4), "main", "work", actor=assignee, minutes=30, note=rng.choice(WORK_NOTES))
            story.then(hours(rng, 1, 8), "main", "move", actor=assignee, to=S.RESOLVED, **resolve)
        if person and rng.random() < 0.55:
            note = self.phrase("thanks", requester) if rng.random() < 0.5 else ""
            story.then(hours(rng, 0.5, 48), "main", "move", actor=requester, to=S.CLOSED, note=note)
        else:
            story.then(self.autoclose + minutes(rng, 1, 15), "main", "move", actor=None, to=S.CLOSED,
                       note=self.autoclose_note())
        return self.schedule(story, outcome)

    def schedule(self, story: Story, outcome: str) -> Story:
        """Choose when the story starts so that its outcome is what one sees today."""
        rng, span, history = self.rng, story.cursor, timedelta(days=DAYS_OF_HISTORY)
        if outcome in ("closed", "cancelled"):
            latest = span + timedelta(minutes=10)
            story.start = self.now - max(latest, timedelta(seconds=rng.uniform(latest.total_seconds(),
                                                                               history.total_seconds())))
            return story
        age = {
            "new": hours(rng, 0.1, 36),
            "in_progress": hours(rng, 0.2, 6 * 24),
            "resolved": hours(rng, 0.3, 0.8 * self.autoclose.total_seconds() / 3600),  # before auto-close
        }.get(outcome) or hours(rng, 0.5, 14 * 24)  # on hold
        story.start = self.now - age - span
        return story

    def major_now(self) -> Story:
        """An e-mail outage going on right now: a major P1 with callers' incidents linked under it."""
        p, t, sv = self.people, self.cast.teams, self.cast.services
        mail = dict(service=sv["E-mail"], category=("E-mail and collaboration", "E-mail"))
        story = Story()
        story.then(timedelta(0), "parent", "open", requester=p["monitoring"], actor=p["monitoring"],
                   channel=Channel.MONITORING, title="메일 서버 장애: mail-01 not responding",
                   description="Zabbix: *mail-01 is unreachable for 5 minutes*. Mail delivery stopped.",
                   impact=1, urgency=1, cis=[self.cast.cis["mail-01"]], **mail)
        story.then(timedelta(minutes=2), "c1", "open", requester=p["alice"], actor=p["alice"], channel=Channel.PORTAL,
                   title="Can't send or receive e-mail", description="Outlook says it is disconnected.",
                   impact=3, urgency=1, **mail)
        story.then(timedelta(minutes=2), "parent", "assign", actor=p["lead"], team=t["Applications"],
                   assignee=p["appdev"])
        story.then(timedelta(minutes=1), "parent", "major", actor=p["lead"])
        story.then(timedelta(minutes=1), "parent", "watch", actor=p["lead"])
        story.then(timedelta(minutes=1), "parent", "move", actor=p["appdev"], to=S.IN_PROGRESS)
        story.then(timedelta(minutes=3), "c2", "open", requester=p["minji"], actor=p["agent"], channel=Channel.PHONE,
                   title="메일이 안 보내져요", description="보낸 편지함에 메일이 계속 남아 있습니다.",
                   impact=3, urgency=1, **mail)
        story.then(timedelta(minutes=1), "c1", "parent", actor=p["agent"], parent="parent")
        story.then(timedelta(minutes=1), "c2", "parent", actor=p["agent"], parent="parent")
        story.then(timedelta(minutes=4), "parent", "say", actor=p["lead"],
                   body="E-mail is down for everyone. We are on it and will post an update every 30 minutes.")
        story.then(timedelta(minutes=6), "c3", "open", requester=p["bob"], actor=p["agent2"], channel=Channel.EMAIL,
                   title="Outlook: 서버에 연결할 수 없습니다", description="Since this morning.",
                   impact=3, urgency=2, **mail)
        story.then(timedelta(minutes=1), "c3", "parent", actor=p["agent2"], parent="parent")
        story.then(timedelta(minutes=10), "parent", "work", actor=p["appdev"], minutes=45,
                   note="mail-01: /var is full and the transport queue stopped. Freeing space, then restarting.")
        story.then(timedelta(minutes=10), "c4", "open", requester=p["haeun"], actor=p["haeun"],
                   channel=Channel.PORTAL, title="메일 서버 장애인가요?", description="메일 수신이 안 됩니다.",
                   impact=3, urgency=2, **mail)
        story.then(timedelta(minutes=2), "c4", "parent", actor=p["agent"], parent="parent")
        story.then(timedelta(minutes=3), "c1", "assign", actor=p["agent"], team=t["Service Desk"], assignee=p["agent"])
        story.then(timedelta(minutes=1), "c1", "move", actor=p["agent"], to=S.IN_PROGRESS)
        story.then(timedelta(minutes=1), "c1", "say", actor=p["agent"],
                   body="This is part of a wider e-mail outage. We will let you know as soon as it is fixed.")
        story.then(timedelta(minutes=20), "c5", "open", requester=p["emma"], actor=p["emma"], channel=Channel.PORTAL,
                   title="E-mail not arriving", description="No new mail for an hour.", impact=3, urgency=2, **mail)
        story.then(timedelta(minutes=2), "c5", "parent", actor=p["agent2"], parent="parent")
        story.then(timedelta(minutes=15), "parent", "say", actor=p["lead"],
                   body="Update: mail-01 is back and the queue is draining. Expect delays of up to 30 minutes.")
        story.start = self.now - story.cursor - minutes(self.rng, 20, 40)
        return story

    def major_past(self) -> Story:
        """A VPN outage three weeks ago: resolved with its children, all closed since."""
        p, t, sv = self.people, self.cast.teams, self.cast.services
        vpn = dict(service=sv["VPN"], category=("Network", "VPN"))
        story = Story()
        story.then(timedelta(0), "parent", "open", requester=p["monitoring"], actor=p["monitoring"],
                   channel=Channel.MONITORING, title="VPN 접속 불가: vpn-gw-01 down",
                   description="Zabbix: *vpn-gw-01 has been unreachable for 3 minutes*.", impact=1, urgency=1,
                   cis=[self.cast.cis["vpn-gw-01"]], **vpn)
        story.then(timedelta(minutes=3), "parent", "assign", actor=p["lead"], team=t["Network"], assignee=p["netops"])
        story.then(timedelta(minutes=1), "parent", "major", actor=p["lead"])
        story.then(timedelta(minutes=1), "parent", "move", actor=p["netops"], to=S.IN_PROGRESS)
        callers = [("minji", Channel.PORTAL, "VPN 접속 불가", "VPN 연결 버튼을 누르면 시간 초과가 납니다."),
                   ("tom", Channel.PHONE, "Cannot connect to the VPN from home", "Timeout when connecting."),
                   ("chris", Channel.PORTAL, "VPN login times out", "Tried three times."),
                   ("seojun", Channel.PORTAL, "재택근무 중 VPN 연결 끊김", "연결이 끊긴 뒤 다시 접속되지 않습니다.")]
        for n, (who, channel, title, description) in enumerate(callers, start=1):
            actor = p[who] if channel == Channel.PORTAL else p["agent"]
            story.then(timedelta(minutes=4), f"c{n}", "open", requester=p[who], actor=actor, channel=channel,
                       title=title, description=description, impact=3, urgency=1, **vpn)
            story.then(timedelta(minutes=1), f"c{n}", "parent", actor=p["agent"], parent="parent")
        story.then(timedelta(minutes=20), "parent", "say", actor=p["lead"],
                   body="The VPN gateway failed. We are switching to the standby gateway.")
        story.then(timedelta(minutes=90), "parent", "work", actor=p["netops"], minutes=120,
                   note="Power supply failed on vpn-gw-01; swapped it from the spare and failed back.")
        story.then(timedelta(minutes=30), "parent", "move", actor=p["netops"], to=S.RESOLVED,
                   resolution_code="solved_permanently",
                   resolution_notes="Replaced the failed power supply on vpn-gw-01. Remote access works again.")
        story.then(self.autoclose + timedelta(minutes=5), "c1", "move", actor=None, to=S.CLOSED,
                   note=self.autoclose_note())
        for n in range(2, len(callers) + 1):
            story.then(timedelta(seconds=20), f"c{n}", "move", actor=None, to=S.CLOSED, note=self.autoclose_note())
        story.then(timedelta(minutes=1), "parent", "move", actor=None, to=S.CLOSED, note=self.autoclose_note())
        story.start = self.now - timedelta(days=self.rng.uniform(20, 30))
        return story

    def merged_duplicates(self) -> list[Story]:
        """The same fault reported twice or three times, merged into one incident."""
        p, t, sv = self.people, self.cast.teams, self.cast.services
        erp = dict(service=sv["ERP"], category=("Software", "Business application"), impact=2, urgency=2)
        wifi = dict(service=sv["Wi-Fi"], category=("Network", "Wi-Fi"), impact=2, urgency=1)
        printer = dict(service=sv["Printing"], category=("Hardware", "Printer"), impact=3, urgency=3)
        solved = "solved_permanently"

        erp_story = (
            Story()
            .then(timedelta(0), "main", "open", requester=p["alice"], actor=p["alice"], channel=Channel.PORTAL,
                  title="ERP invoice posting fails with error E-4012", description="Every invoice, since 9:00.", **erp)
            .then(timedelta(minutes=8), "dup", "open", requester=p["haeun"], actor=p["haeun"], channel=Channel.PORTAL,
                  title="ERP 전표 전기 오류 E-4012", description="전표 전기 시 E-4012 오류가 납니다.", **erp)
            .then(timedelta(minutes=15), "main", "assign", actor=p["appdev"], team=t["Applications"],
                  assignee=p["appdev"])
            .then(timedelta(minutes=1), "main", "move", actor=p["appdev"], to=S.IN_PROGRESS)
            .then(timedelta(minutes=2), "dup", "merge", actor=p["appdev"], into="main")
            .then(timedelta(minutes=40), "main", "work", actor=p["appdev"], minutes=40,
                  note="Period 09 was locked by the month-end job a day early.")
            .then(timedelta(hours=2), "main", "move", actor=p["appdev"], to=S.RESOLVED, resolution_code=solved,
                  resolution_notes="Reopened accounting period 09; posting works again.")
            .then(timedelta(hours=3), "main", "move", actor=p["alice"], to=S.CLOSED, note="Works now, thank you!")
        )
        erp_story.start = self.now - timedelta(days=self.rng.uniform(30, 50))

        wifi_story = (
            Story()
            .then(timedelta(0), "main", "open", requester=p["bob"], actor=p["agent"], channel=Channel.PHONE,
                  title="No Wi-Fi on the 5th floor", description="Nobody on the 5th floor can connect.", **wifi)
            .then(timedelta(minutes=5), "main", "assign", actor=p["netops"], team=t["Network"], assignee=p["netops"])
            .then(timedelta(minutes=1), "main", "move", actor=p["netops"], to=S.IN_PROGRESS)
            .then(timedelta(minutes=2), "d1", "open", requester=p["seojun"], actor=p["seojun"], channel=Channel.PORTAL,
                  title="5층 와이파이 안 됨", description="5층 전체가 와이파이에 연결되지 않습니다.", **wifi)
            .then(timedelta(minutes=4), "d2", "open", requester=p["emma"], actor=p["agent2"], channel=Channel.EMAIL,
                  title="Wi-Fi down in room 5B", description="Meeting room 5B has no Wi-Fi.", **wifi)
            .then(timedelta(minutes=3), "d1", "merge", actor=p["netops"], into="main")
            .then(timedelta(minutes=1), "d2", "merge", actor=p["netops"], into="main")
            .then(timedelta(minutes=5), "main", "say", actor=p["netops"],
                  body="The 5th floor access points lost power; an electrician is on the way.")
            .then(timedelta(minutes=30), "main", "work", actor=p["netops"], minutes=30,
                  note="PoE switch in the 5F closet is down; breaker tripped.")
        )
        wifi_story.start = self.now - wifi_story.cursor - hours(self.rng, 2, 20)

        printer_story = (
            Story()
            .then(timedelta(0), "main", "open", requester=p["minji"], actor=p["minji"], channel=Channel.PORTAL,
                  title="3층 복합기 용지 걸림", description="용지가 걸려서 출력이 안 됩니다.", **printer)
            .then(timedelta(minutes=25), "dup", "open", requester=p["chris"], actor=p["chris"], channel=Channel.PORTAL,
                  title="3rd floor printer jammed again", description="Paper jam, tray 2.", **printer)
            .then(timedelta(minutes=20), "main", "assign", actor=p["fieldtech"], team=t["Workplace"],
                  assignee=p["fieldtech"])
            .then(timedelta(minutes=1), "main", "move", actor=p["fieldtech"], to=S.IN_PROGRESS)
            .then(timedelta(minutes=1), "dup", "merge", actor=p["fieldtech"], into="main")
            .then(timedelta(minutes=50), "main", "move", actor=p["fieldtech"], to=S.RESOLVED, resolution_code=solved,
                  resolution_notes="걸린 용지 제거, 급지 롤러 교체 후 정상 출력 확인.")
        )
        printer_story.start = self.now - printer_story.cursor - hours(self.rng, 1, 30)
        return [erp_story, wifi_story, printer_story]

    # -- playing -------------------------------------------------------------------------------

    def play(self, stories: list[Story]) -> None:
        for story in stories:
            tickets: dict[str, Ticket] = {}
            for step in sorted(story.steps, key=lambda s: s.at):
                with self.clock.at(story.start + step.at):
                    args = {k: tickets[v] if k in ("parent", "into") else v for k, v in step.args.items()}
                    tickets[step.ticket] = getattr(self, step.verb)(tickets.get(step.ticket), **args)
            self.ticket_ids.extend(t.pk for t in tickets.values())

    def category(self, path: tuple[str, str]):
        if path not in self._categories:
            parent = CategoryFactory(name=path[0], parent=None)
            self._categories[path] = CategoryFactory(name=path[1], parent=parent)
        return self._categories[path]

    def open(self, _ticket, *, requester, actor, channel, scenario: Scenario | None = None, **fields) -> Ticket:
        if scenario is not None:
            fields = dict(title=scenario.title, description=scenario.description, impact=scenario.impact,
                          urgency=scenario.urgency, category=scenario.category,
                          service=self.cast.services.get(scenario.service),
                          cis=[self.cast.cis[name] for name in scenario.cis])
        fields["category"] = self.category(fields["category"])
        by_desk = actor.pk != requester.pk or channel == Channel.MONITORING
        if not by_desk:
            fields.pop("cis", None)  # only the desk links CIs
        elif fields.get("service") is None:
            fields["team"] = self.cast.teams["Service Desk"]
        return services.incident_open(actor=actor, requester=requester, channel=channel, **fields)

    def assign(self, ticket, *, actor, team, assignee):
        return services.incident_assign(ticket=ticket, actor=actor, team=team, assignee=assignee)

    def move(self, ticket, *, actor, to, **fields):
        return services.incident_transition(ticket=ticket, actor=actor, to=to, **fields)

    def say(self, ticket, *, actor, body, public=True):
        services.incident_comment(ticket=ticket, actor=actor, body=body, public=public)
        return ticket

    def work(self, ticket, *, actor, minutes, note):
        desk.time_entry_add(ticket=ticket, actor=actor, minutes=minutes, note=note)
        return ticket

    def escalate(self, ticket, *, actor, level, reason, team=None):
        return services.incident_escalate(ticket=ticket, actor=actor, level=level, reason=reason, team=team)

    def major(self, ticket, *, actor):
        return services.incident_set_major(ticket=ticket, actor=actor, major=True)

    def parent(self, ticket, *, actor, parent):
        return services.incident_set_parent(ticket=ticket, actor=actor, parent=parent)

    def merge(self, ticket, *, actor, into):
        return services.incident_merge(ticket=ticket, actor=actor, into=into)

    def watch(self, ticket, *, actor):
        desk.ticket_watch(ticket=ticket, actor=actor, user=actor)
        return ticket


def allocate(total: int, weights: dict[str, int]) -> list[str]:
    """``total`` outcomes in proportion to ``weights`` (largest remainder), each at least once if room."""
    if total <= 0:
        return []
    whole = sum(weights.values())
    counts = {k: max(1, w * total // whole) if total >= len(weights) else 0 for k, w in weights.items()}
    by_remainder = sorted(weights, key=lambda k: (weights[k] * total / whole) - counts[k], reverse=True)
    i = 0
    while sum(counts.values()) < total:
        counts[by_remainder[i % len(by_remainder)]] += 1
        i += 1
    while sum(counts.values()) > total:  # the minimum of one each overshot: take from the largest
        counts[max(counts, key=counts.get)] -= 1
    return [k for k, n in counts.items() for _i in range(n)]


@contextmanager
def outbox_only():
    """Notifications are written to the outbox as in real life, but no e-mail task is queued."""

    class NotQueued:
        @staticmethod
        def apply_async(*args, **kwargs):
            return None

    with mock.patch("servicedesk.tasks.send_notification", NotQueued):
        yield


# --- Entry point ----------------------------------------------------------------------------


@dataclass
class SeedReport:
    created: Counter
    incidents_by_state: dict[str, int]
    skipped_incidents: bool


DEMO_SOURCE = "seed_demo"


def demo_incidents_exist() -> bool:
    demo_requesters = [*REQUESTERS, MONITORING.username]
    return Ticket.objects.filter(kind=TicketKind.INCIDENT, requester__username__in=demo_requesters).exists()


def seed_demo(*, incidents: int = 300, now: datetime | None = None) -> SeedReport:
    """Load the demo (see docs/demo.md). Safe to run again: it then adds nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        # pghistory merges nested contexts into the outer one, whose metadata the last service call
        # then overwrites: a context around the whole seeding credited every CI to the last incident's
        # agent and service. So the estate gets its own context, and the story's services their own.
        with pghistory.context(source=DEMO_SOURCE, actor=None):
            cast = cast_everyone()
        if demo_incidents_exist():
            return SeedReport(created=cast.created, incidents_by_state={}, skipped_incidents=True)
        player = Player(cast, now=now)
        with outbox_only():
            player.play(player.plan(incidents))
        player.clock.apply(player.ticket_ids)
        Notification.objects.filter(ticket_id__in=player.ticket_ids, sent_at__isnull=True).update(
            sent_at=F("created_at"), last_error=NOT_SENT_NOTE)
        by_state = dict(Ticket.objects.filter(pk__in=player.ticket_ids).values_list("state")
                        .annotate(n=Count("id")).order_by("state"))
        cast.created["incidents"] = len(player.ticket_ids)
    return SeedReport(created=cast.created, incidents_by_state=by_state, skipped_incidents=False)
