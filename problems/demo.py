"""The demo's problem management for ``manage.py seed_demo``: problems in every state with their
root-cause analysis, each raised from its service's recent demo incidents, known errors in English
and Korean (some with public workarounds), a workaround applied, and the recurring-incident
candidates the detector finds among the demo incidents.

Everything goes through the services, as its real actor. Idempotent: nothing is added while a
problem exists. Runs in one transaction; notifications stay in the outbox, marked as not sent.
"""

from collections import Counter

import pghistory
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import demo as accounts_demo
from changes.demo import DEMO_SOURCE, NOT_SENT_NOTE, outbox_only
from cmdb import demo as cmdb_demo
from servicedesk.choices import TicketKind
from servicedesk.models import Notification, Ticket

from . import services
from .choices import ProblemState as S
from .models import KnownError, ProblemCandidate

PROBLEMS = [
    # state, title, service (its recent demo incidents are linked), RCA, no-change reason
    (S.NEW, "Wi-Fi drops in meeting rooms on the 2nd floor", "Wi-Fi", None, ""),
    (S.INVESTIGATION, "ERP month-end report times out", "ERP",
     ("fishbone", {"causes": {"technology": ["Missing index on the ledger table", "Report runs in one query"],
                              "process": ["Everyone runs it on the last day"]}}, "", ""), ""),
    (S.KNOWN_ERROR, "VPN client disconnects every ten minutes", "VPN",
     ("five_whys", {"whys": [{"why": "Why does the VPN drop?", "answer": "The gateway resets idle UDP sessions."},
                             {"why": "Why are sessions idle?", "answer": "Keep-alive is every 15 minutes."},
                             {"why": "Why 15 minutes?", "answer": "A default from the old firmware."}]},
      "UDP idle timeout on the VPN gateway shorter than the client's keep-alive.", "configuration"), ""),
    (S.RESOLVED, "메일서버 인증서 만료로 메일 수신 장애", "E-mail",
     ("timeline", {"events": [{"at": "09:02", "event": "Certificate on mail-01 expired"},
                              {"at": "09:10", "event": "First incidents reported"},
                              {"at": "09:40", "event": "Certificate renewed"}]},
      "The TLS certificate of mail-01 was not in the renewal calendar.", "process"),
     "The certificate was renewed during the incident; monitoring of expiry dates was added."),
    (S.CLOSED, "Printer jobs stuck after driver update", "Printing",
     ("fault_tree", {"events": [{"event": "Jobs stuck in queue", "causes": ["Driver 5.2 spooler bug"]}]},
      "Printer driver 5.2 deadlocks the spooler with duplex jobs.", "software_defect"),
     "Driver rolled back to 5.1 on the print server."),
    (S.CANCELLED, "HR portal slow on Mondays", "HR portal", None, ""),
]
INCIDENTS_PER_PROBLEM = 3

KNOWN_ERRORS = [
    # title, symptoms, root cause, workaround, public, CI, service, problem title
    ("VPN client disconnects every ten minutes",
     "The VPN connection drops about every ten minutes; calls and file copies are interrupted.",
     "UDP idle timeout on the VPN gateway is shorter than the client's keep-alive.",
     "1. Open the VPN client settings.\n2. Set **Protocol** to **TCP**.\n3. Reconnect.", True, "vpn-gw-01", "VPN",
     "VPN client disconnects every ten minutes"),
    ("VPN이 10분마다 끊어짐", "재택근무 중 VPN 연결이 약 10분마다 끊어집니다.",
     "VPN 게이트웨이의 UDP 유휴 시간 초과 설정이 짧습니다.",
     "VPN 클라이언트 설정에서 **프로토콜**을 **TCP**로 바꾼 뒤 다시 연결하세요.", True, "vpn-gw-01", "VPN",
     "VPN client disconnects every ten minutes"),
    ("ERP month-end report times out", "The 'Open items' report runs for ten minutes and fails.",
     "A missing index on the ledger table.", "Run the report per cost centre instead of for the whole company.",
     False, "erp-db-01", "ERP", "ERP month-end report times out"),
    ("그룹웨어 결재 문서 첨부 오류", "그룹웨어에서 결재 문서에 10MB 이상 파일을 첨부하면 오류가 납니다.",
     "웹 서버의 업로드 크기 제한.", "파일을 압축하거나 10MB 이하로 나누어 첨부하세요.", True, "gw-web-01", "그룹웨어",
     None),
]

def seed(*, now=None) -> Counter:
    """Load the demo's problem management; returns what was created (nothing when problems exist)."""
    now = now or timezone.now()
    created = Counter()
    if Ticket.objects.filter(kind=TicketKind.PROBLEM).exists():
        return created
    with transaction.atomic():
        with pghistory.context(source=DEMO_SOURCE, actor=None):
            people, teams = accounts_demo.seed(Counter())
            services_by_name, cis = cmdb_demo.seed(Counter(), people=people, teams=teams)
        before = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with outbox_only():
            problems = _problems(people, services_by_name, created)
            _known_errors(people, services_by_name, cis, problems, created)
            _candidate(now, created)
        Notification.objects.filter(id__gt=before, sent_at__isnull=True).update(
            sent_at=F("created_at"), last_error=NOT_SENT_NOTE)
    return created


def _recent_incidents(service) -> list[Ticket]:
    """The service's newest demo incidents not yet linked to a problem."""
    return list(Ticket.objects.filter(kind=TicketKind.INCIDENT, service=service, problem_link__isnull=True,
                                      incident__merged_into__isnull=True)
                .select_related("category", "service").order_by("-opened_at")[:INCIDENTS_PER_PROBLEM])


def _problems(p, services_by_name, created) -> dict:
    pm = p["problem"]
    made = {}
    for state, title, service, rca, no_change in PROBLEMS:
        incidents = _recent_incidents(services_by_name[service])
        ticket = services.problem_create(actor=p["agent"], incidents=incidents, title=title,
                                         service=services_by_name[service], impact=2, urgency=2, problem_manager=pm,
                                         description=f"Recurring trouble with {service}.")
        if rca:
            method, content, root_cause, category = rca
            services.problem_record_rca(ticket=ticket, actor=pm, rca_method=method, rca_content=content,
                                        root_cause=root_cause, cause_category=category)
        path = {S.NEW: [], S.INVESTIGATION: [S.INVESTIGATION], S.KNOWN_ERROR: [S.INVESTIGATION, S.KNOWN_ERROR],
                S.RESOLVED: [S.INVESTIGATION, S.RESOLVED], S.CLOSED: [S.INVESTIGATION, S.RESOLVED, S.CLOSED],
                S.CANCELLED: [S.CANCELLED]}[state]
        for target in path:
            ticket, _result = services.problem_transition(
                ticket=ticket, actor=pm, to=target, no_change_reason=no_change,
                reason="Could not be reproduced after the hosting move." if target == S.CANCELLED else "",
                resolve_incidents=target == S.RESOLVED,
                incident_note="We found and fixed the cause of this incident." if target == S.RESOLVED else "")
        made[title] = ticket
        created["problems"] += 1
    # The known error's fix: a change raised from the problem, still to be scheduled.
    vpn = made["VPN client disconnects every ten minutes"]
    services.problem_raise_change(ticket=vpn, actor=pm, implementation_plan="Raise the UDP idle timeout to 30 min.",
                                  backout_plan="Restore the previous gateway configuration.")
    return made


def _known_errors(p, services_by_name, cis, problems, created) -> None:
    pm = p["problem"]
    for title, symptoms, cause, workaround, public, ci, service, problem_title in KNOWN_ERRORS:
        problem = problems[problem_title].problem if problem_title else None
        services.known_error_save(actor=pm, title=title, symptoms=symptoms, root_cause=cause, workaround=workaround,
                                  workaround_public=public, problem=problem, cis=[cis[ci]],
                                  services=[services_by_name[service]])
        created["known errors"] += 1
    vpn_incident = Ticket.objects.filter(kind=TicketKind.INCIDENT, active=True,
                                         service=services_by_name["VPN"]).order_by("-opened_at").first()
    if vpn_incident is not None:
        services.known_error_apply(actor=p["agent"], known_error=KnownError.objects.get(title=KNOWN_ERRORS[0][0]),
                                   incident=vpn_incident, tell_requester=True)


def _candidate(now, created) -> None:
    """The detector's first run over the demo incidents: their recurring titles and CIs make clusters."""
    services.candidates_detect(now=now)
    created["candidates"] = ProblemCandidate.objects.filter(state="open").count()
