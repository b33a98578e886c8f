"""The stories of the demo incidents (``manage.py seed_demo``): plain data, read by incidents.demo.

The people and teams are accounts.demo's, the services and CIs cmdb.demo's.

English and Korean side by side, as in the offices ESM is built for.
"""

from dataclasses import dataclass

from accounts import roles
from accounts.demo import DEMO_PASSWORD, PEOPLE  # noqa: F401 - the demo's logins, re-exported

from .choices import ResolutionCode

RANDOM_SEED = 20240917  # one fixed seed: the same demo every time
DAYS_OF_HISTORY = 60


REQUESTERS = [p.username for p in PEOPLE if p.role == roles.REQUESTER]
DESK_DISPATCHERS = ["agent", "agent2", "lead"]  # answer the phone and the desk mailbox

@dataclass(frozen=True)
class Scenario:
    title: str
    description: str
    category: tuple[str, str]
    service: str | None
    impact: int
    urgency: int
    resolution: str
    cis: tuple[str, ...] = ()
    monitoring: bool = False  # raised by the monitoring integration, not a person


SCENARIOS = [
    Scenario("Cannot send e-mail from Outlook", "Messages stay in the **Outbox** since this morning.",
             ("E-mail and collaboration", "E-mail"), "E-mail", 3, 2,
             "Mailbox was over quota; archived old items and raised the quota.", ("mail-01",)),
    Scenario("메일 첨부파일이 열리지 않음", "PDF 첨부파일을 열면 '파일이 손상되었습니다' 오류가 납니다.",
             ("E-mail and collaboration", "E-mail"), "E-mail", 3, 3,
             "Outlook 보안 설정 초기화 후 정상 동작 확인."),
    Scenario("VPN 접속 불가", "재택근무 중 VPN 연결 시 '인증 실패' 오류가 납니다.", ("Network", "VPN"), "VPN", 3, 1,
             "인증서 만료: 새 인증서를 발급하여 설치함.", ("vpn-gw-01",)),
    Scenario("VPN disconnects every few minutes", "Working from home; the VPN drops every 5-10 minutes.",
             ("Network", "VPN"), "VPN", 3, 2, "Updated the VPN client to the current version; stable since."),
    Scenario("프린터 용지 걸림", "3층 복합기에 용지가 자주 걸립니다.", ("Hardware", "Printer"), "Printing", 3, 3,
             "걸린 용지 제거, 롤러 청소 후 정상 출력 확인.", ("prn-3f-01",)),
    Scenario("Printer prints blank pages", "The 3rd floor printer feeds paper but prints nothing.",
             ("Hardware", "Printer"), "Printing", 3, 3, "Replaced the empty toner cartridge.", ("prn-3f-01",)),
    Scenario("Laptop won't boot after update", "Stuck on the logo screen after last night's update.",
             ("Hardware", "Laptop or desktop"), "Laptops and desktops", 3, 1,
             "Rolled back the failed update from recovery mode."),
    Scenario("노트북 배터리가 너무 빨리 닳아요", "완충해도 1시간을 못 갑니다.", ("Hardware", "Laptop or desktop"),
             "Laptops and desktops", 3, 3, "배터리 교체함."),
    Scenario("Account locked after password change", "I changed my password and now every login fails.",
             ("Access", "Password or account locked"), None, 3, 1,
             "Unlocked the account; removed the old password cached on the phone."),
    Scenario("비밀번호 초기화 요청", "비밀번호를 잊어버려서 로그인할 수 없습니다.",
             ("Access", "Password or account locked"), None, 3, 2, "본인 확인 후 비밀번호 초기화함."),
    Scenario("ERP invoice posting fails with error E-4012", "Posting any invoice in ERP ends with *E-4012: period "
             "locked*.", ("Software", "Business application"), "ERP", 2, 2,
             "Accounting period was closed too early; reopened it.", ("erp-app-01",)),
    Scenario("ERP 보고서 조회가 너무 느림", "월말 보고서 조회에 5분 이상 걸립니다.",
             ("Software", "Business application"), "ERP", 2, 3,
             "통계 정보 갱신 및 인덱스 추가로 10초 이내로 개선.", ("erp-db-01",)),
    Scenario("HR portal shows the wrong leave balance", "My leave balance is 3 days short after the update.",
             ("Software", "Business application"), "HR portal", 3, 3,
             "Re-ran the leave accrual job for the affected employees."),
    Scenario("HR 포털 로그인 오류", "HR 포털 로그인 시 'Access denied'가 표시됩니다.", ("Access", "Permissions"),
             "HR portal", 3, 2, "HR 포털 권한 그룹에 사용자 추가함.", ("hr-portal-web",)),
    Scenario("Wi-Fi drops in meeting room B", "Video calls drop every few minutes in meeting room B.",
             ("Network", "Wi-Fi"), "Wi-Fi", 3, 2, "Moved the access point to a less busy channel.", ("wlc-01",)),
    Scenario("회의실 와이파이 연결 안 됨", "대회의실에서 와이파이가 전혀 잡히지 않습니다.",
             ("Network", "Wi-Fi"), "Wi-Fi", 2, 2, "AP 전원 어댑터 교체 후 정상."),
    Scenario("그룹웨어 결재 문서가 열리지 않음", "결재함에서 문서를 클릭하면 빈 화면만 나옵니다.",
             ("Software", "Business application"), "그룹웨어", 2, 2, "브라우저 캐시 문제: 캐시 삭제 안내 후 해결.",
             ("gw-web-01",)),
    Scenario("그룹웨어 캘린더 동기화 오류", "휴대폰 캘린더에 그룹웨어 일정이 보이지 않습니다.",
             ("E-mail and collaboration", "Calendar"), "그룹웨어", 3, 3, "동기화 계정 재등록으로 해결."),
    Scenario("Shared calendar not updating", "The team calendar shows last week's bookings only.",
             ("E-mail and collaboration", "Calendar"), "E-mail", 3, 3, "Re-shared the calendar with the team."),
    Scenario("Video calls keep freezing", "Video freezes for everyone on my calls; audio is fine.",
             ("E-mail and collaboration", "Chat and video calls"), None, 3, 2,
             "Updated the graphics driver; hardware acceleration back on."),
    Scenario("Suspicious e-mail asking for my password", "Got a mail 'from IT' asking me to confirm my password.",
             ("Security", "Phishing"), "E-mail", 2, 2, "Phishing confirmed; blocked the sender and purged the mail."),
    Scenario("피싱 메일 신고", "택배 조회를 가장한 메일에 링크가 있습니다. 클릭하지는 않았습니다.",
             ("Security", "Phishing"), "E-mail", 3, 2, "발신 도메인 차단 및 전 직원 메일함에서 삭제함."),
    Scenario("Second monitor not detected", "The docking station no longer shows the second screen.",
             ("Hardware", "Monitor and peripherals"), "Laptops and desktops", 3, 3,
             "Updated the dock firmware."),
    Scenario("Excel crashes when opening large files", "Any workbook over 20 MB crashes Excel.",
             ("Software", "Office software"), "Laptops and desktops", 3, 2,
             "Repaired Office and disabled a bad add-in."),
    Scenario("Need access to the Finance shared drive", "I moved to Finance and cannot open the team folder.",
             ("Access", "Permissions"), None, 3, 3, "Added the user to the Finance drive group."),
    Scenario("인터넷이 매우 느립니다", "오후마다 웹페이지 로딩이 매우 느립니다.", ("Network", "Slowness"), None, 2, 2,
             "업링크 포화: QoS 정책 적용.", ("core-sw-01",)),
    Scenario("Lost laptop on a business trip", "Left my laptop on the train; it holds customer files.",
             ("Security", "Lost or stolen device"), "Laptops and desktops", 2, 1,
             "Device wiped remotely and locked; replacement issued."),
    Scenario("Desk phone has no dial tone", "My desk phone shows 'No service'.", ("Hardware", "Phone"), None, 3, 2,
             "Re-patched the phone port."),
    Scenario("Disk 90% full on erp-db-01", "Zabbix trigger: *Free disk space is less than 10% on /var/lib*.",
             ("Software", "Business application"), "ERP", 2, 2, "Rotated logs and extended the volume.",
             ("erp-db-01",), monitoring=True),
    Scenario("High CPU load on mail-02", "Zabbix trigger: *CPU utilisation over 90% for 15 minutes*.",
             ("E-mail and collaboration", "E-mail"), "E-mail", 2, 3, "Runaway antivirus scan; restarted the service.",
             ("mail-02",), monitoring=True),
]

# Ticket-level outcomes of the generic stories, and how often each occurs.
OUTCOME_WEIGHTS = {
    "new": 8,
    "in_progress": 12,
    "on_hold:awaiting_caller": 4,
    "on_hold:awaiting_vendor": 3,
    "on_hold:awaiting_change": 2,
    "resolved": 9,
    "closed": 56,
    "cancelled": 6,
}

RESOLUTION_CODES = [ResolutionCode.SOLVED_PERMANENTLY] * 5 + [
    ResolutionCode.SOLVED_WORKAROUND, ResolutionCode.SOLVED_REMOTELY, ResolutionCode.SOLVED_REMOTELY,
    ResolutionCode.RESOLVED_BY_CALLER, ResolutionCode.NO_FAULT_FOUND,
]

# What people write, by the language of the requester they write to.
PHRASES = {
    "acknowledge": {
        "en": ["Thanks for letting us know. I'm looking into it now.",
               "I've picked this up and will update you shortly.",
               "Thanks. Could you tell me when this started and whether colleagues are affected?"],
        "ko": ["접수되었습니다. 지금 확인하고 있습니다.", "담당자로 배정되었습니다. 곧 다시 연락드리겠습니다.",
               "언제부터 발생했는지, 다른 분들도 같은 증상인지 알려주시겠어요?"],
    },
    "awaiting_caller": {
        "en": ["Could you send me the exact error message? I'll continue as soon as I hear from you.",
               "I need you at your desk for a remote session. When would suit you?"],
        "ko": ["정확한 오류 메시지를 알려주시면 바로 이어서 처리하겠습니다.",
               "원격 지원이 필요합니다. 언제 자리에 계신가요?"],
    },
    "awaiting_vendor": {
        "en": ["Opened a case with the vendor (ref. {ref}); waiting for their answer."],
        "ko": ["벤더에 문의했습니다 (케이스 {ref}). 답변을 기다리는 중입니다."],
    },
    "awaiting_change": {
        "en": ["The fix needs a change to the production system; it is planned for the next maintenance window."],
        "ko": ["운영 환경 변경이 필요하여 다음 정기 점검 때 반영될 예정입니다."],
    },
    "caller_answers": {
        "en": ["It says 'Connection timed out' right after I log in.", "I'm at my desk all afternoon."],
        "ko": ["로그인 직후 '연결 시간 초과' 오류가 나옵니다.", "오후 내내 자리에 있습니다."],
    },
    "reopen": {
        "en": ["Sorry, it's happening again this morning.", "Still the same problem, unfortunately."],
        "ko": ["오늘 아침에 다시 같은 문제가 발생했습니다.", "아직 같은 증상입니다."],
    },
    "thanks": {
        "en": ["Works now, thank you!", "All good, thanks for the quick help."],
        "ko": ["해결되었습니다. 감사합니다!", "잘 됩니다. 빠른 처리 감사합니다."],
    },
    "requester_cancels": {
        "en": ["Never mind, it works again now."],
        "ko": ["다시 잘 됩니다. 취소해 주세요."],
    },
    "agent_cancels": {
        "en": ["The caller confirmed it was a misunderstanding; nothing is broken.",
               "Reported twice; the other ticket covers it."],
        "ko": ["사용자 확인 결과 오해였습니다. 장애 아님.", "중복 접수되어 취소합니다."],
    },
}

WORK_NOTES = [
    "Checked the logs; repeated authentication failures from the user's laptop.",
    "Remote session with the user; reproduced the problem.",
    "Cleared cached credentials and re-synced the profile.",
    "Tested from a second machine: same result, so not the laptop.",
    "원격 접속하여 설정 확인함.",
    "로그 확인 결과 인증서 만료로 보임.",
    "사용자와 통화하여 증상 재현함.",
]

ESCALATION_REASONS = {
    "Network": "Looks like a network fault; needs access to the switches.",
    "Applications": "Server-side application error; handing over to the application team.",
    "Workplace": "Needs a desk-side visit.",
}
