"""The people, teams and services the generated tickets refer to (the benchmark's "world").

Small sets, so they go through the ORM (bulk_create, one password hash for everyone) and get their
audit history like any other row. Everything is named ``bench_…`` / fixed names, so a second run
finds the world instead of creating another one.
"""

import random

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from accounts import roles
from accounts.models import Organisation, Team, User
from cmdb.choices import BUSINESS_SERVICE_CLASS
from cmdb.models import CIClass, ConfigurationItem
from servicedesk.models import Category

from .common import BENCH_AGENT, BENCH_PASSWORD

REQUESTER_PREFIX = "bench_req_"
AGENT_PREFIX = "bench_agent_"

# (name, relative share of agents); Service Desk L1 is the big front line.
TEAMS = [
    ("Service Desk L1", 30), ("Service Desk L2", 14), ("Desktop Support Seoul", 12), ("Desktop Support Busan", 8),
    ("Network Operations", 10), ("Security Operations", 6), ("Messaging", 8), ("Identity and Access", 9),
    ("ERP Support", 8), ("HR Systems", 5), ("Application Support", 10), ("Server Operations", 9),
    ("Database Administration", 5), ("Cloud Platform", 6), ("Printing Services", 5), ("Telephony", 4),
    ("Field Services", 8), ("Finance Systems", 5), ("Web Platform", 6), ("Storage and Backup", 4),
]
FRONT_LINE_TEAM = "Service Desk L1"
BENCH_AGENT_TEAMS = ["Service Desk L1", "Network Operations"]

DEPARTMENTS = ["Finance", "Human Resources", "Sales", "Marketing", "Legal", "Procurement", "Logistics",
               "Research and Development", "Manufacturing", "Customer Support"]
SITES = ["Seoul", "Busan", "Pangyo", "Incheon"]

KO_FAMILY = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송"]
KO_GIVEN = ["민준", "서연", "지훈", "하은", "도윤", "지우", "서준", "수아", "예준", "지민", "현우", "유진",
            "준호", "은지", "성민", "다은", "태현", "소영", "재원", "혜진"]
EN_FIRST = ["James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Emma", "Daniel", "Olivia",
            "Thomas", "Sophie", "Andrew", "Grace", "Peter", "Hannah"]
EN_LAST = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Evans", "Walker", "Wright", "Green", "Hall",
           "Clarke", "Turner"]

# What incidents are about. Each topic names its subcategory (from the incidents 0002 migration), the
# business service and the team that supports it, and the words its titles and descriptions use.
TOPICS = [
    dict(weight=14, category=("Access", "Password or account locked"), service="Directory and sign-in",
         team="Identity and Access",
         en_nouns=["password", "account", "login", "MFA", "single sign-on"],
         ko_nouns=["비밀번호", "계정", "로그인", "인증", "OTP"],
         en_problems=["locked out", "reset needed", "login failed", "expired", "MFA code not arriving"],
         ko_problems=["잠김", "초기화 요청", "로그인 실패", "만료", "인증 코드 안 옴"]),
    dict(weight=5, category=("Access", "Permissions"), service="Directory and sign-in", team="Identity and Access",
         en_nouns=["shared drive", "folder", "access rights", "distribution list"],
         ko_nouns=["공유 폴더", "권한", "접근 권한", "신규 계정"],
         en_problems=["access denied", "access request", "missing permissions"],
         ko_problems=["접근 거부", "권한 요청", "권한 없음"]),
    dict(weight=12, category=("E-mail and collaboration", "E-mail"), service="E-mail", team="Messaging",
         en_nouns=["Outlook", "e-mail", "mailbox", "shared mailbox", "mail server"],
         ko_nouns=["메일", "메일 서버", "사서함", "아웃룩", "전자우편"],
         en_problems=["not receiving e-mail", "cannot send", "mailbox full", "outage", "sync error"],
         ko_problems=["수신 안 됨", "발송 실패", "용량 초과", "장애", "동기화 오류"]),
    dict(weight=5, category=("E-mail and collaboration", "Chat and video calls"), service="Collaboration",
         team="Messaging",
         en_nouns=["Teams", "video call", "calendar", "meeting room display", "headset"],
         ko_nouns=["화상 회의", "일정", "회의실", "팀즈", "메신저"],
         en_problems=["no audio", "cannot join meeting", "invites missing", "crashes"],
         ko_problems=["소리 안 남", "회의 참가 불가", "초대 누락", "강제 종료"]),
    dict(weight=10, category=("Hardware", "Printer"), service="Printing", team="Printing Services",
         en_nouns=["printer", "network printer", "toner", "scanner", "copier"],
         ko_nouns=["프린터", "복합기", "토너", "스캐너"],
         en_problems=["not printing", "paper jam", "shows offline", "prints blank pages", "driver error"],
         ko_problems=["인쇄 안 됨", "용지 걸림", "오프라인 상태", "드라이버 오류", "작동하지 않음"]),
    dict(weight=10, category=("Hardware", "Laptop or desktop"), service="End-user computing",
         team="Desktop Support Seoul",
         en_nouns=["laptop", "desktop PC", "docking station", "keyboard", "battery"],
         ko_nouns=["노트북", "데스크톱", "키보드", "배터리", "모니터"],
         en_problems=["will not boot", "is very slow", "blue screen", "overheating", "not charging"],
         ko_problems=["부팅 안 됨", "속도 느림", "블루스크린", "과열", "충전 안 됨"]),
    dict(weight=3, category=("Hardware", "Monitor and peripherals"), service="End-user computing",
         team="Desktop Support Busan",
         en_nouns=["monitor", "mouse", "docking station", "webcam"],
         ko_nouns=["모니터", "마우스", "도킹 스테이션", "웹캠"],
         en_problems=["no display", "flickering", "not detected"],
         ko_problems=["화면 안 나옴", "깜빡임", "인식 안 됨"]),
    dict(weight=3, category=("Hardware", "Phone"), service="Telephony", team="Telephony",
         en_nouns=["desk phone", "mobile phone", "voicemail", "softphone"],
         ko_nouns=["전화기", "휴대폰", "음성 사서함", "내선 전화"],
         en_problems=["no dial tone", "cannot call out", "voicemail not working"],
         ko_problems=["발신 안 됨", "통화 불량", "착신 안 됨"]),
    dict(weight=8, category=("Network", "VPN"), service="Remote access (VPN)", team="Network Operations",
         en_nouns=["VPN", "VPN client", "remote access", "GlobalProtect"],
         ko_nouns=["VPN", "원격 접속", "재택 근무 접속"],
         en_problems=["connection drops", "cannot connect", "certificate error", "very slow"],
         ko_problems=["접속 장애", "연결 끊김", "인증서 오류", "접속 안 됨"]),
    dict(weight=6, category=("Network", "Wi-Fi"), service="Corporate network", team="Network Operations",
         en_nouns=["Wi-Fi", "wireless network", "access point", "guest Wi-Fi"],
         ko_nouns=["와이파이", "무선 네트워크", "네트워크", "무선랜"],
         en_problems=["keeps disconnecting", "no signal", "cannot connect", "slow"],
         ko_problems=["연결 끊김", "신호 없음", "접속 안 됨", "속도 느림"]),
    dict(weight=5, category=("Network", "Internet access"), service="Corporate network", team="Network Operations",
         en_nouns=["internet", "network", "proxy", "DNS"],
         ko_nouns=["인터넷", "네트워크", "프록시", "DNS"],
         en_problems=["is down", "very slow", "timeout", "site blocked"],
         ko_problems=["장애", "느림", "시간 초과", "사이트 차단"]),
    dict(weight=7, category=("Software", "Business application"), service="ERP", team="ERP Support",
         en_nouns=["ERP", "SAP", "purchase order", "invoice screen", "report"],
         ko_nouns=["ERP", "전표", "결재", "구매 요청", "보고서"],
         en_problems=["error on save", "very slow", "cannot log in", "report empty", "server error"],
         ko_problems=["저장 오류", "속도 느림", "로그인 불가", "조회 안 됨", "서버 오류"]),
    dict(weight=4, category=("Software", "Business application"), service="HR portal", team="HR Systems",
         en_nouns=["HR portal", "payslip", "leave request", "timesheet"],
         ko_nouns=["인사 시스템", "급여 명세서", "휴가 신청", "근태"],
         en_problems=["cannot open", "error", "wrong data", "not loading"],
         ko_problems=["열리지 않음", "오류", "데이터 오류", "로딩 안 됨"]),
    dict(weight=8, category=("Software", "Office software"), service="Office software", team="Application Support",
         en_nouns=["Excel", "Word", "PowerPoint", "Acrobat", "software licence"],
         ko_nouns=["엑셀", "워드", "파워포인트", "프로그램 설치", "라이선스"],
         en_problems=["crashes on open", "install request", "licence expired", "file corrupted"],
         ko_problems=["실행 오류", "설치 요청", "라이선스 만료", "파일 손상"]),
    dict(weight=5, category=("Network", "Slowness"), service="Data centre hosting", team="Server Operations",
         en_nouns=["server", "file server", "database", "web server", "backup"],
         ko_nouns=["서버", "파일 서버", "데이터베이스", "웹 서버", "백업"],
         en_problems=["outage", "disk full", "high CPU", "not responding", "backup failed"],
         ko_problems=["장애", "디스크 부족", "CPU 과부하", "응답 없음", "백업 실패"]),
    dict(weight=3, category=("Security", "Phishing"), service="Security operations", team="Security Operations",
         en_nouns=["phishing e-mail", "suspicious link", "virus alert", "lost laptop"],
         ko_nouns=["피싱 메일", "악성 코드", "바이러스", "분실 노트북"],
         en_problems=["reported", "detected", "needs review"],
         ko_problems=["신고", "탐지", "확인 요청"]),
]


def _person_name(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.7:
        return rng.choice(KO_GIVEN), rng.choice(KO_FAMILY)
    return rng.choice(EN_FIRST), rng.choice(EN_LAST)


@transaction.atomic
def ensure_world(*, requesters: int, agents: int, seed: int = 42) -> None:
    """Create organisations, requesters, teams of agents, the bench agent and services, once."""
    if User.objects.filter(username=BENCH_AGENT).exists():
        return
    rng = random.Random(seed)
    password = make_password(BENCH_PASSWORD)  # one hash for everybody: hashing per user would take minutes

    orgs = Organisation.objects.bulk_create(
        [Organisation(name=f"{dept} ({site})", share_tickets=(i % 4 == 0))
         for i, (dept, site) in enumerate((d, s) for d in DEPARTMENTS for s in SITES)],
    )

    def user(username: str, organisation=None) -> User:
        first, last = _person_name(rng)
        return User(username=username, first_name=first, last_name=last, email=f"{username}@example.com",
                    password=password, organisation=organisation, language=rng.choice(["", "en", "ko"]))

    requester_rows = User.objects.bulk_create(
        [user(f"{REQUESTER_PREFIX}{i:05d}", rng.choice(orgs)) for i in range(1, requesters + 1)]
    )
    agent_rows = User.objects.bulk_create(
        [User(username=BENCH_AGENT, first_name="Bench", last_name="Agent", email="bench_agent@example.com",
              password=password)]
        + [user(f"{AGENT_PREFIX}{i:03d}") for i in range(1, agents + 1)]
    )
    bench, others = agent_rows[0], agent_rows[1:]

    groups = {g.name: g for g in Group.objects.filter(name__in=[roles.REQUESTER, roles.AGENT, roles.TEAM_LEAD])}
    UserGroups = User.groups.through
    memberships = [UserGroups(user_id=u.pk, group_id=groups[roles.REQUESTER].pk) for u in requester_rows]
    memberships += [UserGroups(user_id=u.pk, group_id=groups[roles.AGENT].pk) for u in agent_rows]

    # Share the agents out by team size; one in five also helps a second team.
    total_share = sum(share for _, share in TEAMS)
    teams, team_members, cursor = [], {}, 0
    for position, (name, share) in enumerate(TEAMS):
        size = max(2, round(len(others) * share / total_share))
        members = others[cursor:cursor + size] or rng.sample(others, 2)
        cursor += size
        team = Team(name=name, email=f"{name.lower().replace(' ', '-')}@example.com", lead=members[0],
                    description=f"Benchmark team {position + 1}")
        teams.append(team)
        team_members[name] = list(members)
    for extra in rng.sample(others, len(others) // 5):
        team_members[rng.choice(TEAMS)[0]].append(extra)
    for name in BENCH_AGENT_TEAMS:
        team_members[name].append(bench)
    Team.objects.bulk_create(teams)
    memberships += [UserGroups(user_id=t.lead_id, group_id=groups[roles.TEAM_LEAD].pk) for t in teams]
    UserGroups.objects.bulk_create(memberships, ignore_conflicts=True)
    TeamMembers = Team.members.through
    TeamMembers.objects.bulk_create([
        TeamMembers(team_id=team.pk, user_id=user_id)
        for team in teams for user_id in dict.fromkeys(m.pk for m in team_members[team.name])  # once each
    ])

    service_class = CIClass.objects.get(slug=BUSINESS_SERVICE_CLASS)
    team_by_name = {t.name: t for t in teams}
    for topic in TOPICS:
        ConfigurationItem.objects.get_or_create(
            ci_class=service_class, name=topic["service"],
            defaults={"support_team": team_by_name[topic["team"]], "owner_team": team_by_name[topic["team"]]},
        )


def topic_rows() -> list[tuple]:
    """(category_id, service_id, team_id, en_nouns, ko_nouns, en_problems, ko_problems) per topic."""
    categories = {(c.parent.name, c.name): c.pk for c in Category.objects.filter(parent__isnull=False)
                  .select_related("parent")}
    services = dict(ConfigurationItem.objects.services().values_list("name", "pk"))
    teams = dict(Team.objects.values_list("name", "pk"))
    return [
        (categories.get(t["category"]), services[t["service"]], teams[t["team"]],
         t["en_nouns"], t["ko_nouns"], t["en_problems"], t["ko_problems"])
        for t in TOPICS
    ]


def topic_weights() -> list[int]:
    return [t["weight"] for t in TOPICS]


def team_weights() -> dict[int, int]:
    ids = dict(Team.objects.values_list("name", "pk"))
    return {ids[name]: share for name, share in TEAMS}
